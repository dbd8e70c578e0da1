package io.sparkwire.spark;

import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd;
import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart;

import io.sparkwire.proto.v1.SparkEvent;
import io.sparkwire.proto.v1.SqlExecutionEnd;
import io.sparkwire.proto.v1.SqlExecutionStart;

/**
 * SQL execution events (spark-sql). The listener matches the event's class NAME first and only
 * then calls into this class, so it is never loaded where spark-sql is missing.
 */
final class SqlEvents {
  private SqlEvents() {}

  static final String START = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart";
  static final String END = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd";

  static SparkEvent.Builder start(Object event, long now) {
    SparkListenerSQLExecutionStart e = (SparkListenerSQLExecutionStart) event;
    SqlExecutionStart.Builder b = SqlExecutionStart.newBuilder()
        .setExecutionId(e.executionId())
        .setDescription(EventMapper.truncate(e.description(), EventMapper.MAX_TEXT_CHARS))
        .setDetails(EventMapper.truncate(e.details(), EventMapper.MAX_TEXT_CHARS));
    Long root = EventMapper.optLong(e.rootExecutionId());
    if (root != null) {
      b.setRootExecutionId(root);
    }
    return SparkEvent.newBuilder()
        .setEventTimeMs(e.time() > 0 ? e.time() : now)
        .setSqlExecutionStart(b);
  }

  static SparkEvent.Builder end(Object event, long now) {
    SparkListenerSQLExecutionEnd e = (SparkListenerSQLExecutionEnd) event;
    SqlExecutionEnd.Builder b = SqlExecutionEnd.newBuilder().setExecutionId(e.executionId());
    String err = EventMapper.optString(e.errorMessage());
    if (err != null) {
      b.setErrorMessage(EventMapper.truncate(err, EventMapper.MAX_MESSAGE_CHARS));
    }
    return SparkEvent.newBuilder()
        .setEventTimeMs(e.time() > 0 ? e.time() : now)
        .setSqlExecutionEnd(b);
  }
}
