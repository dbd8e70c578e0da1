package io.sparkwire.spark;

import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart;

/** Spark 4's constructors for the tests (the Spark 3.5 side: src/test/spark-3.5). */
final class SparkTestCompat {
  private SparkTestCompat() {}

  /** SparkListenerApplicationEnd carries an exit code from Spark 4.0 on. */
  static final boolean APP_END_HAS_EXIT_CODE = true;

  static SparkListenerApplicationEnd applicationEnd(long time, Integer exitCode) {
    return new SparkListenerApplicationEnd(time,
        exitCode == null ? SparkObjects.none() : SparkObjects.some((Object) exitCode));
  }

  static SparkListenerSQLExecutionStart sqlExecutionStart(long id, scala.Option<Object> root,
      String description, String details, String plan, long time) {
    return new SparkListenerSQLExecutionStart(id, root, description, details, plan, null, time,
        SparkObjects.emptyMap(), SparkObjects.emptySet(), SparkObjects.none());
  }
}
