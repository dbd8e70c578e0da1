package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.grpc.Metadata;

/** TLS with a CA file (a self-signed certificate made with the JDK's keytool at test time). */
@Timeout(60)
class TlsTest {

  private static void keytool(String... args) throws Exception {
    String bin = System.getProperty("java.home") + File.separator + "bin" + File.separator
        + "keytool";
    List<String> cmd = new java.util.ArrayList<>(List.of(bin));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
  }

  @Test
  void tlsWithCaCertAndToken(@TempDir Path dir) throws Exception {
    Path ks = dir.resolve("server.p12");
    Path ca = dir.resolve("ca.pem");
    keytool("-genkeypair", "-alias", "sidecar", "-keyalg", "RSA", "-keysize", "2048",
        "-validity", "2", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
    keytool("-exportcert", "-rfc", "-alias", "sidecar", "-keystore", ks.toString(),
        "-storetype", "PKCS12", "-storepass", "changeit", "-file", ca.toString());
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(ks.toFile())) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());

    try (FakeSidecar s = new FakeSidecar().start(0, kmf.getKeyManagers())) {
      SparkwireClient c = TestClients.connected(s.port(), "spark.sparkwire.tls", "true",
          "spark.sparkwire.tls.caCert", ca.toString(), "spark.sparkwire.token", "abc");
      try {
        c.emit(TestClients.observation(1));
        assertTrue(c.flush(10_000));
        assertEquals(1, s.published.size());
        assertEquals("Bearer abc", s.headers.get(0).get(Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER)));
      } finally {
        c.close(true);
      }

      // without the CA the certificate is not trusted: nothing is delivered
      SparkwireClient untrusting = TestClients.connected(s.port(), "spark.sparkwire.tls", "true");
      try {
        untrusting.emit(TestClients.observation(2));
        assertFalse(untrusting.flush(1_000));
        assertEquals(1, s.published.size());
      } finally {
        untrusting.close(false);
      }
    }
    assertTrue(Files.exists(ca));
  }
}
