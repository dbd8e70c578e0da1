package org.apache.spark.sql.connect.service;

/** Test stand-in, see {@link SparkListenerConnectFakes}. */
public class SparkListenerConnectSessionStarted extends SparkListenerConnectFakes.Session {
  SparkListenerConnectSessionStarted(String sessionId, String userId, long time) {
    super(sessionId, userId, time);
  }
}
