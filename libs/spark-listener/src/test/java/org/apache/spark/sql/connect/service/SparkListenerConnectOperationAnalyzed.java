package org.apache.spark.sql.connect.service;

/** Test stand-in, see {@link SparkListenerConnectFakes}. */
public class SparkListenerConnectOperationAnalyzed extends SparkListenerConnectFakes {
  SparkListenerConnectOperationAnalyzed(String jobTag, String operationId, long time) {
    super(jobTag, operationId, time);
  }
}
