package org.apache.spark.sql.connect.service;

/** Test stand-in, see {@link SparkListenerConnectFakes}. */
public class SparkListenerConnectOperationClosed extends SparkListenerConnectFakes {
  SparkListenerConnectOperationClosed(String jobTag, String operationId, long time) {
    super(jobTag, operationId, time);
  }
}
