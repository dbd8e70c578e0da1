package io.sparkwire.spark;

import java.util.HashMap;
import java.util.Map;

import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client (one buffer, one sender, one stream) per Spark application in this JVM, shared by
 * {@link SparkwireListener}, {@link SparkwireStreamingListener} and {@link Sparkwire#observe}.
 */
final class ClientRegistry {
  private ClientRegistry() {}

  private static final Object LOCK = new Object();
  private static SparkwireClient current;
  private static boolean mismatchLogged;
  private static final Logger LOG = LoggerFactory.getLogger(ClientRegistry.class);

  /**
   * The open client of this application, or a new one. Null when sparkwire is disabled, or
   * when this jar is not the build for the running Spark line / Scala version (logged once, as
   * an error naming the artifact to use). Never touches the network (the sender thread connects
   * later).
   */
  static SparkwireClient acquire(Map<String, String> conf) {
    synchronized (LOCK) {
      String mismatch = SparkLine.check();
      if (mismatch != null) {
        if (!mismatchLogged) {
          mismatchLogged = true;
          LOG.error(mismatch);
        }
        return null;
      }
      String appId = conf.get("spark.app.id");
      if (current != null && !current.isClosed()
          && (appId == null || current.appId().isEmpty() || current.appId().equals(appId))) {
        return current;
      }
      SparkwireConfig cfg = SparkwireConfig.from(conf);
      if (!cfg.enabled) {
        return null;
      }
      current = new SparkwireClient(cfg);
      return current;
    }
  }

  /** The open client, or null. */
  static SparkwireClient active() {
    SparkwireClient c = current;
    return c != null && !c.isClosed() ? c : null;
  }

  static void release(SparkwireClient c) {
    synchronized (LOCK) {
      if (current == c) {
        current = null;
      }
    }
  }

  /** For tests: makes {@code c} the active client. */
  static void setActiveForTest(SparkwireClient c) {
    synchronized (LOCK) {
      current = c;
    }
  }

  /** Copies only the keys the client reads out of a SparkConf (never the whole conf). */
  static Map<String, String> toMap(SparkConf conf) {
    Map<String, String> m = new HashMap<>();
    if (conf == null) {
      return m;
    }
    for (scala.Tuple2<String, String> kv : conf.getAll()) {
      if (kv._1() != null && kv._2() != null && SparkwireConfig.wanted(kv._1())) {
        m.put(kv._1(), kv._2());
      }
    }
    return m;
  }
}
