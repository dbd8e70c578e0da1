package io.sparkwire.spark;

import org.apache.spark.scheduler.SparkListenerApplicationEnd;

/**
 * What differs between Spark lines: the Spark 4 side (src/main/spark-4, compiled to Java 17
 * bytecode against Spark 4.0.0, run on every 4.x). The Spark 3.5 side is
 * src/main/spark-3.5/io/sparkwire/spark/SparkCompat.java; both have the same members.
 */
final class SparkCompat {
  private SparkCompat() {}

  /** The Spark line this jar is built for (shown in messages). */
  static final String LINE = "4";

  /** Whether this build runs on Spark {@code major.minor}: every 4.x. */
  static boolean supports(int major, int minor) {
    return major == 4;
  }

  /** The driver's exit code, when Spark knows it (Spark 4.0+). */
  static Long exitCode(SparkListenerApplicationEnd e) {
    return EventMapper.optLong(e.exitCode());
  }
}
