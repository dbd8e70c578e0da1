package org.apache.spark.sql.connect.service;

/** Test stand-in, see {@link SparkListenerConnectFakes}. */
public class SparkListenerConnectOperationFailed extends SparkListenerConnectFakes {
  private final String errorMessage;

  SparkListenerConnectOperationFailed(String jobTag, String operationId, long time,
      String errorMessage) {
    super(jobTag, operationId, time);
    this.errorMessage = errorMessage;
  }

  public String errorMessage() {
    return errorMessage;
  }
}
