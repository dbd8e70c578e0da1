package org.apache.spark.sql.connect.service;

/** Test stand-in, see {@link SparkListenerConnectFakes}. */
public class SparkListenerConnectOperationFinished extends SparkListenerConnectFakes {
  private final scala.Option<Object> producedRowCount;

  SparkListenerConnectOperationFinished(String jobTag, String operationId, long time,
      scala.Option<Object> producedRowCount) {
    super(jobTag, operationId, time);
    this.producedRowCount = producedRowCount;
  }

  public scala.Option<Object> producedRowCount() {
    return producedRowCount;
  }
}
