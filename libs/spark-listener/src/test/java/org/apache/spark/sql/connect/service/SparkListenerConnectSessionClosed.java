package org.apache.spark.sql.connect.service;

/** Test stand-in, see {@link SparkListenerConnectFakes}. */
public class SparkListenerConnectSessionClosed extends SparkListenerConnectFakes.Session {
  SparkListenerConnectSessionClosed(String sessionId, String userId, long time) {
    super(sessionId, userId, time);
  }
}
