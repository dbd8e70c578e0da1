package io.sparkwire.spark;

import java.io.InputStream;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks that this jar was built for the Spark line and Scala version the driver runs. A jar of
 * another line would otherwise fail at the first event with a NoSuchMethodError (a Scala 2.12
 * {@code Seq} where 2.13 has {@code immutable.Seq}, a constructor Spark 4 changed, ...): instead
 * the listener logs one error naming the versions and the artifact to use, and stays off.
 */
final class SparkLine {
  private SparkLine() {}

  private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");

  /** The artifact of each supported (Spark line, Scala) pair, as published. */
  static String artifactFor(int major, int minor, String scalaBinary) {
    if (major == 3 && minor == 5 && "2.12".equals(scalaBinary)) {
      return "io.sparkwire:sparkwire-spark-listener_2.12 (Spark 3.5, Scala 2.12)";
    }
    if (major == 3 && minor == 5 && "2.13".equals(scalaBinary)) {
      return "io.sparkwire:sparkwire-spark-listener-spark35_2.13 (Spark 3.5, Scala 2.13)";
    }
    if (major == 4 && "2.13".equals(scalaBinary)) {
      return "io.sparkwire:sparkwire-spark-listener_2.13 (Spark 4.x, Scala 2.13)";
    }
    return null;
  }

  /** "2.13" of "2.13.16"; the input when it has no second dot. */
  static String binary(String scalaVersion) {
    if (scalaVersion == null) {
      return "";
    }
    Matcher m = VERSION.matcher(scalaVersion);
    return m.find() ? m.group(1) + "." + m.group(2) : scalaVersion;
  }

  /**
   * Null when a jar built for {@code builtLine}/{@code builtScala} (by {@link SparkCompat})
   * fits Spark {@code sparkVersion} on Scala {@code scalaVersion}; otherwise the message.
   * Unknown runtime versions (empty) are not held against the jar.
   */
  static String mismatch(String artifact, String builtScala, String sparkVersion,
      String scalaVersion) {
    Matcher m = VERSION.matcher(sparkVersion == null ? "" : sparkVersion);
    String runScala = binary(scalaVersion);
    boolean sparkKnown = m.find();
    int major = sparkKnown ? Integer.parseInt(m.group(1)) : -1;
    int minor = sparkKnown ? Integer.parseInt(m.group(2)) : -1;
    boolean sparkOk = !sparkKnown || SparkCompat.supports(major, minor);
    boolean scalaOk = runScala.isEmpty() || runScala.equals(builtScala);
    if (sparkOk && scalaOk) {
      return null;
    }
    String use = sparkKnown ? artifactFor(major, minor, runScala) : null;
    return "sparkwire: this listener jar (" + artifact + ") is built for Spark "
        + SparkCompat.LINE + ".x with Scala "
        + builtScala + ", but this driver runs Spark " + sparkVersion + " with Scala "
        + scalaVersion + ". "
        + (use != null ? "Use " + use + " instead."
            : "No sparkwire build supports that Spark: Spark 3.5 (Scala 2.12 or 2.13) and "
                + "Spark 4.x (Scala 2.13) are supported.")
        + " sparkwire stays off for this application.";
  }

  private static volatile String checked;

  /** The mismatch message for the running JVM, or null; computed once. */
  static String check() {
    String c = checked;
    if (c == null) {
      String m = mismatch(built("artifact", "sparkwire-spark-listener"),
          built("scala.binary.version", ""), SparkwireListener.sparkVersion(), scalaVersion());
      c = m == null ? "" : m;
      checked = c;
    }
    return c.isEmpty() ? null : c;
  }

  static String scalaVersion() {
    try {
      return scala.util.Properties.versionNumberString();
    } catch (Throwable t) {
      return "";
    }
  }

  private static String built(String key, String dflt) {
    try (InputStream in = SparkLine.class.getResourceAsStream("sparkwire-version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty(key);
        if (v != null && !v.isEmpty() && !v.startsWith("$")) {
          return v;
        }
      }
    } catch (Throwable ignored) {
      // fall through
    }
    return dflt;
  }
}
