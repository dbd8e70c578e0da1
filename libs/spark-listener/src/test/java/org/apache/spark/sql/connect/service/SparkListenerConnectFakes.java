package org.apache.spark.sql.connect.service;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * Stand-ins for Spark Connect's listener events (spark-connect is not on the test class path):
 * the real class names and the accessors Spark 3.5/4.x give them, so a test goes through the
 * listener's name match and reflective reads exactly as on a Connect server. The real classes
 * are exercised by testing/spark-e2e/test/connect.test.ts.
 */
public class SparkListenerConnectFakes implements SparkListenerEvent {
  private final String jobTag;
  private final String operationId;
  private final long eventTime;

  SparkListenerConnectFakes(String jobTag, String operationId, long eventTime) {
    this.jobTag = jobTag;
    this.operationId = operationId;
    this.eventTime = eventTime;
  }

  public String jobTag() {
    return jobTag;
  }

  public String operationId() {
    return operationId;
  }

  public long eventTime() {
    return eventTime;
  }

  @Override
  public boolean logEvent() {
    return true;
  }

  public static SparkListenerEvent operationStarted(String jobTag, String operationId, long time,
      String sessionId, String userId, String userName, String statementText,
      scala.collection.Iterable<String> sparkSessionTags) {
    return new SparkListenerConnectOperationStarted(jobTag, operationId, time, sessionId, userId,
        userName, statementText, sparkSessionTags);
  }

  public static SparkListenerEvent operationAnalyzed(String jobTag, String operationId, long time) {
    return new SparkListenerConnectOperationAnalyzed(jobTag, operationId, time);
  }

  public static SparkListenerEvent operationReady(String jobTag, String operationId, long time) {
    return new SparkListenerConnectOperationReadyForExecution(jobTag, operationId, time);
  }

  public static SparkListenerEvent operationFinished(String jobTag, String operationId, long time,
      scala.Option<Object> producedRowCount) {
    return new SparkListenerConnectOperationFinished(jobTag, operationId, time, producedRowCount);
  }

  public static SparkListenerEvent operationFailed(String jobTag, String operationId, long time,
      String errorMessage) {
    return new SparkListenerConnectOperationFailed(jobTag, operationId, time, errorMessage);
  }

  public static SparkListenerEvent operationCanceled(String jobTag, String operationId, long time) {
    return new SparkListenerConnectOperationCanceled(jobTag, operationId, time);
  }

  public static SparkListenerEvent operationClosed(String jobTag, String operationId, long time) {
    return new SparkListenerConnectOperationClosed(jobTag, operationId, time);
  }

  public static SparkListenerEvent sessionStarted(String sessionId, String userId, long time) {
    return new SparkListenerConnectSessionStarted(sessionId, userId, time);
  }

  public static SparkListenerEvent sessionClosed(String sessionId, String userId, long time) {
    return new SparkListenerConnectSessionClosed(sessionId, userId, time);
  }

  /** Session events have no job tag or operation: these accessors do not exist on them in Spark. */
  public static class Session implements SparkListenerEvent {
    private final String sessionId;
    private final String userId;
    private final long eventTime;

    Session(String sessionId, String userId, long eventTime) {
      this.sessionId = sessionId;
      this.userId = userId;
      this.eventTime = eventTime;
    }

    public String sessionId() {
      return sessionId;
    }

    public String userId() {
      return userId;
    }

    public long eventTime() {
      return eventTime;
    }

    @Override
    public boolean logEvent() {
      return true;
    }
  }
}
