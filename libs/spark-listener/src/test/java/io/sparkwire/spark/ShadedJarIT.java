package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.sparkwire.proto.v1.PublishRequest;
import io.sparkwire.proto.v1.SparkEvent;

/**
 * Runs against the shaded jar itself (mvn verify): loaded in its own class loader next to
 * Spark's jars only (no gRPC, protobuf or Guava of ours), it must reach a sidecar.
 */
@Timeout(60)
class ShadedJarIT {

  static File shadedJar() {
    String p = System.getProperty("sparkwire.shadedJar");
    assertTrue(p != null, "-Dsparkwire.shadedJar is set by the pom (failsafe)");
    File f = new File(p);
    assertTrue(f.isFile(), "shaded jar missing: " + f);
    return f;
  }

  @Test
  void everyBundledClassIsRelocated() throws Exception {
    List<String> strays = new ArrayList<>();
    boolean services = false;
    try (JarFile jar = new JarFile(shadedJar())) {
      Enumeration<JarEntry> en = jar.entries();
      while (en.hasMoreElements()) {
        String n = en.nextElement().getName();
        if (n.endsWith(".class") && !n.startsWith("io/sparkwire/")) {
          strays.add(n);
        }
        if (n.startsWith("META-INF/services/io.grpc.")) {
          strays.add(n);
        }
        if (n.equals("META-INF/services/io.sparkwire.shaded.io.grpc.ManagedChannelProvider")) {
          services = true;
        }
        if (n.endsWith(".SF") || n.endsWith(".RSA") || n.endsWith(".DSA")) {
          strays.add(n);
        }
      }
    }
    assertEquals(List.of(), strays);
    assertTrue(services, "relocated gRPC service files");
  }

  /** Java 8 bytecode for the Spark 3.5 lines (Spark 3.5 runs on 8, 11, 17), 17 for Spark 4. */
  @Test
  void bytecodeFitsTheLinesJava() throws Exception {
    int release = Integer.parseInt(System.getProperty("sparkwire.javaRelease"));
    int maxMajor = release + 44; // class file major version: 52 = Java 8, 61 = Java 17
    List<String> tooNew = new ArrayList<>();
    try (JarFile jar = new JarFile(shadedJar())) {
      Enumeration<JarEntry> en = jar.entries();
      while (en.hasMoreElements()) {
        JarEntry e = en.nextElement();
        // multi-release entries are only read by the JDKs they are for
        if (!e.getName().endsWith(".class") || e.getName().startsWith("META-INF/versions/")) {
          continue;
        }
        try (java.io.DataInputStream in = new java.io.DataInputStream(jar.getInputStream(e))) {
          in.readInt(); // 0xCAFEBABE
          in.readUnsignedShort(); // minor
          int major = in.readUnsignedShort();
          if (major > maxMajor) {
            tooNew.add(e.getName() + " (" + major + ")");
          }
        }
      }
      java.util.jar.Manifest mf = jar.getManifest();
      assertTrue(mf.getMainAttributes().getValue("Sparkwire-Spark-Line") != null, "manifest");
    }
    assertEquals(List.of(), tooNew.subList(0, Math.min(10, tooNew.size())),
        tooNew.size() + " classes newer than Java " + release);
  }

  /**
   * The published pom (shade's dependency-reduced pom) and the parent it inherits list nothing
   * a resolver would fetch: no compile/runtime dependency (everything is bundled; Spark, Scala
   * and slf4j are provided). spark-submit's packages resolver reads both.
   */
  @Test
  void publishedPomsHaveNoRuntimeDependencies() throws Exception {
    List<String> runtime = new ArrayList<>();
    for (String key : new String[] {"sparkwire.reducedPom", "sparkwire.parentPom"}) {
      File pom = new File(System.getProperty(key));
      assertTrue(pom.isFile(), "pom missing: " + pom);
      org.w3c.dom.Element project = javax.xml.parsers.DocumentBuilderFactory.newInstance()
          .newDocumentBuilder().parse(pom).getDocumentElement();
      for (org.w3c.dom.Element deps : children(project, "dependencies")) {
        for (org.w3c.dom.Element d : children(deps, "dependency")) {
          List<org.w3c.dom.Element> scope = children(d, "scope");
          String sc = scope.isEmpty() ? "compile" : scope.get(0).getTextContent().trim();
          if (!sc.equals("provided") && !sc.equals("test")) {
            runtime.add(pom.getName() + ": "
                + children(d, "artifactId").get(0).getTextContent() + " (" + sc + ")");
          }
        }
      }
    }
    assertEquals(List.of(), runtime);
  }

  private static List<org.w3c.dom.Element> children(org.w3c.dom.Element e, String tag) {
    List<org.w3c.dom.Element> out = new ArrayList<>();
    for (org.w3c.dom.Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof org.w3c.dom.Element && tag.equals(n.getNodeName())) {
        out.add((org.w3c.dom.Element) n);
      }
    }
    return out;
  }

  @Test
  void shadedListenerStreamsToTheSidecar() throws Exception {
    List<URL> urls = new ArrayList<>();
    urls.add(shadedJar().toURI().toURL());
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String name = new File(entry).getName();
      if (name.matches("(spark-|scala-|slf4j-|log4j-|hadoop-client-api|commons-lang3|ivy-"
          + "|json4s|jackson-).*\\.jar")) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    try (FakeSidecar sidecar = new FakeSidecar().start();
        URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]),
            ClassLoader.getPlatformClassLoader())) {
      Class<?> confClass = loader.loadClass("org.apache.spark.SparkConf");
      // SparkConf(true) reads spark.* system properties (reflecting on its methods would need
      // all of Spark's dependencies)
      Map<String, String> props = Map.of("spark.app.id", "app-shaded",
          "spark.app.name", "shaded-it",
          "spark.sparkwire.endpoint", "127.0.0.1:" + sidecar.port());
      Object conf;
      try {
        props.forEach(System::setProperty);
        conf = confClass.getConstructor(boolean.class).newInstance(true);
      } finally {
        props.keySet().forEach(System::clearProperty);
      }

      Class<?> listenerClass = loader.loadClass("io.sparkwire.spark.SparkwireListener");
      assertTrue(listenerClass.getClassLoader() == loader);
      // nothing of ours leaks in from the test class path
      try {
        loader.loadClass("io.grpc.ManagedChannel");
        throw new AssertionError("unrelocated gRPC visible");
      } catch (ClassNotFoundException expected) {
        // good
      }
      Object listener = listenerClass.getConstructor(confClass).newInstance(conf);

      Class<?> api = loader.loadClass("io.sparkwire.spark.Sparkwire");
      Object ok = api.getMethod("observe", String.class, Map.class)
          .invoke(null, "shaded", Map.of("x", 1.0));
      assertEquals(Boolean.TRUE, ok);

      Class<?> endClass =
          loader.loadClass("org.apache.spark.scheduler.SparkListenerApplicationEnd");
      Object end;
      if (SparkTestCompat.APP_END_HAS_EXIT_CODE) {
        Class<?> option = loader.loadClass("scala.Option");
        Object none = option.getMethod("empty").invoke(null);
        end = endClass.getConstructor(long.class, option).newInstance(5L, none);
      } else {
        end = endClass.getConstructor(long.class).newInstance(5L);
      }
      listenerClass.getMethod("onApplicationEnd", endClass).invoke(listener, end);

      List<SparkEvent> events = new ArrayList<>();
      for (PublishRequest r : sidecar.requests()) {
        events.addAll(r.getEventsList());
      }
      assertEquals(2, events.size(), events.toString());
      assertEquals("shaded", events.get(0).getObservation().getName());
      assertEquals("app-shaded", events.get(0).getAppId());
      assertTrue(events.get(1).hasApplicationEnd());
      assertEquals(0, sidecar.requests().get(0).getEventsCount(), "handshake first");
    }
  }
}
