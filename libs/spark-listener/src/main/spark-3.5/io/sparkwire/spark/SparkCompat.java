package io.sparkwire.spark;

import org.apache.spark.scheduler.SparkListenerApplicationEnd;

/**
 * What differs between Spark lines: the Spark 3.5 side (src/main/spark-3.5, compiled to Java 8
 * bytecode against Spark 3.5.0, for Scala 2.12 and 2.13). The Spark 4 side is
 * src/main/spark-4/io/sparkwire/spark/SparkCompat.java; both have the same members.
 */
final class SparkCompat {
  private SparkCompat() {}

  /** The Spark line this jar is built for (shown in messages). */
  static final String LINE = "3.5";

  /** Whether this build runs on Spark {@code major.minor}. */
  static boolean supports(int major, int minor) {
    return major == 3 && minor == 5;
  }

  /** Spark 3.5's SparkListenerApplicationEnd has no exit code (added in Spark 4.0). */
  static Long exitCode(SparkListenerApplicationEnd e) {
    return null;
  }
}
