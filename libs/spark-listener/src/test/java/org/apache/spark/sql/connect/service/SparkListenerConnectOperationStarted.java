package org.apache.spark.sql.connect.service;

/** Test stand-in, see {@link SparkListenerConnectFakes}. */
public class SparkListenerConnectOperationStarted extends SparkListenerConnectFakes {
  private final String sessionId;
  private final String userId;
  private final String userName;
  private final String statementText;
  private final scala.collection.Iterable<String> sparkSessionTags;

  SparkListenerConnectOperationStarted(String jobTag, String operationId, long time,
      String sessionId, String userId, String userName, String statementText,
      scala.collection.Iterable<String> sparkSessionTags) {
    super(jobTag, operationId, time);
    this.sessionId = sessionId;
    this.userId = userId;
    this.userName = userName;
    this.statementText = statementText;
    this.sparkSessionTags = sparkSessionTags;
  }

  public String sessionId() {
    return sessionId;
  }

  public String userId() {
    return userId;
  }

  public String userName() {
    return userName;
  }

  public String statementText() {
    return statementText;
  }

  public scala.collection.Iterable<String> sparkSessionTags() {
    return sparkSessionTags;
  }
}
