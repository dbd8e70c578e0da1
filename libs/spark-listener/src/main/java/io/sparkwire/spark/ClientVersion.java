package io.sparkwire.spark;

import java.io.InputStream;
import java.util.Properties;

/**
 * This jar's version, for ClientStats and the gRPC user agent. A class of its own so the
 * transport classes can name it without depending on {@link SparkwireClient}.
 */
final class ClientVersion {
  private ClientVersion() {}

  static final String VERSION = readVersion();

  private static String readVersion() {
    try (InputStream in = ClientVersion.class.getResourceAsStream("sparkwire-version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isEmpty() && !v.startsWith("$")) {
          return v;
        }
      }
    } catch (Throwable ignored) {
      // fall through
    }
    return "0.1.0";
  }
}
