package io.sparkwire.spark;

import java.time.Instant;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.SinkProgress;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

import io.sparkwire.proto.v1.SparkEvent;
import io.sparkwire.proto.v1.StreamingProgress;
import io.sparkwire.proto.v1.StreamingQueryStarted;
import io.sparkwire.proto.v1.StreamingQueryTerminated;

/**
 * Structured Streaming events. Spark posts StreamingQueryListener events to the listener bus as
 * well, so the bus listener gets them through onOtherEvent (matched by class NAME; this class is
 * loaded only then) and {@link SparkwireStreamingListener} uses the same mapping.
 */
final class StreamingEvents {
  private StreamingEvents() {}

  static final String STARTED =
      "org.apache.spark.sql.streaming.StreamingQueryListener$QueryStartedEvent";
  static final String PROGRESS =
      "org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent";
  static final String TERMINATED =
      "org.apache.spark.sql.streaming.StreamingQueryListener$QueryTerminatedEvent";

  static boolean isStreamingEvent(String className) {
    return STARTED.equals(className) || PROGRESS.equals(className)
        || TERMINATED.equals(className);
  }

  /** Maps a started/progress/terminated event; null for anything else (idle is ignored). */
  static SparkEvent.Builder map(Object event, long now) {
    if (event instanceof StreamingQueryListener.QueryStartedEvent) {
      return started((StreamingQueryListener.QueryStartedEvent) event, now);
    }
    if (event instanceof StreamingQueryListener.QueryProgressEvent) {
      return progress(((StreamingQueryListener.QueryProgressEvent) event).progress(), now);
    }
    if (event instanceof StreamingQueryListener.QueryTerminatedEvent) {
      return terminated((StreamingQueryListener.QueryTerminatedEvent) event, now);
    }
    return null;
  }

  static SparkEvent.Builder started(StreamingQueryListener.QueryStartedEvent e, long now) {
    StreamingQueryStarted.Builder b = StreamingQueryStarted.newBuilder()
        .setId(str(e.id()))
        .setRunId(str(e.runId()))
        .setName(EventMapper.nz(e.name()));
    return SparkEvent.newBuilder()
        .setEventTimeMs(parseTime(e.timestamp(), now))
        .setStreamingQueryStarted(b);
  }

  static SparkEvent.Builder terminated(StreamingQueryListener.QueryTerminatedEvent e, long now) {
    StreamingQueryTerminated.Builder b = StreamingQueryTerminated.newBuilder()
        .setId(str(e.id()))
        .setRunId(str(e.runId()));
    String ex = EventMapper.optString(e.exception());
    if (ex != null) {
      b.setException(EventMapper.truncate(ex, EventMapper.MAX_MESSAGE_CHARS));
    }
    return SparkEvent.newBuilder().setEventTimeMs(now).setStreamingQueryTerminated(b);
  }

  static SparkEvent.Builder progress(StreamingQueryProgress p, long now) {
    StreamingProgress.Builder b = StreamingProgress.newBuilder()
        .setId(str(p.id()))
        .setRunId(str(p.runId()))
        .setName(EventMapper.nz(p.name()))
        .setTimestamp(EventMapper.nz(p.timestamp()))
        .setBatchId(p.batchId())
        .setBatchDurationMs(p.batchDuration())
        .setNumInputRows(p.numInputRows())
        .setInputRowsPerSecond(p.inputRowsPerSecond())
        .setProcessedRowsPerSecond(p.processedRowsPerSecond());
    if (p.durationMs() != null) {
      for (Map.Entry<String, Long> d : p.durationMs().entrySet()) {
        if (d.getKey() != null && d.getValue() != null) {
          b.putDurationMs(d.getKey(), d.getValue());
        }
      }
    }
    putStrings(p.eventTime(), b::putEventTime);
    if (p.stateOperators() != null) {
      for (StateOperatorProgress s : p.stateOperators()) {
        if (s == null) {
          continue;
        }
        io.sparkwire.proto.v1.StateOperatorProgress.Builder sb =
            io.sparkwire.proto.v1.StateOperatorProgress.newBuilder()
                .setOperatorName(EventMapper.nz(s.operatorName()))
                .setNumRowsTotal(s.numRowsTotal())
                .setNumRowsUpdated(s.numRowsUpdated())
                .setMemoryUsedBytes(s.memoryUsedBytes())
                .setNumRowsDroppedByWatermark(s.numRowsDroppedByWatermark());
        if (s.customMetrics() != null) {
          for (Map.Entry<String, Long> m : s.customMetrics().entrySet()) {
            if (m.getKey() != null && m.getValue() != null) {
              sb.putCustomMetrics(m.getKey(), m.getValue());
            }
          }
        }
        b.addStateOperators(sb);
      }
    }
    if (p.sources() != null) {
      for (SourceProgress s : p.sources()) {
        if (s == null) {
          continue;
        }
        io.sparkwire.proto.v1.SourceProgress.Builder sb =
            io.sparkwire.proto.v1.SourceProgress.newBuilder()
                .setDescription(EventMapper.nz(s.description()))
                .setStartOffset(EventMapper.nz(s.startOffset()))
                .setEndOffset(EventMapper.nz(s.endOffset()))
                .setLatestOffset(EventMapper.nz(s.latestOffset()))
                .setNumInputRows(s.numInputRows())
                .setInputRowsPerSecond(s.inputRowsPerSecond())
                .setProcessedRowsPerSecond(s.processedRowsPerSecond());
        putStrings(s.metrics(), sb::putMetrics);
        b.addSources(sb);
      }
    }
    SinkProgress sink = p.sink();
    if (sink != null) {
      b.setSink(io.sparkwire.proto.v1.SinkProgress.newBuilder()
          .setDescription(EventMapper.nz(sink.description()))
          .setNumOutputRows(sink.numOutputRows()));
    }
    if (p.observedMetrics() != null) {
      for (Map.Entry<String, Row> o : p.observedMetrics().entrySet()) {
        if (o.getKey() != null && o.getValue() != null) {
          b.putObservedMetrics(o.getKey(), rowJson(o.getValue()));
        }
      }
    }
    return SparkEvent.newBuilder()
        .setEventTimeMs(parseTime(p.timestamp(), now))
        .setStreamingProgress(b);
  }

  static String rowJson(Row row) {
    try {
      return row.json();
    } catch (Throwable t) {
      return String.valueOf(row);
    }
  }

  private interface Put {
    void put(String k, String v);
  }

  private static void putStrings(Map<String, String> m, Put put) {
    if (m == null) {
      return;
    }
    for (Map.Entry<String, String> e : m.entrySet()) {
      if (e.getKey() != null && e.getValue() != null) {
        put.put(e.getKey(), e.getValue());
      }
    }
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }

  /** Spark's ISO-8601 progress timestamp in epoch ms; {@code now} when it cannot be read. */
  static long parseTime(String iso, long now) {
    if (iso == null || iso.isEmpty()) {
      return now;
    }
    try {
      return Instant.parse(iso).toEpochMilli();
    } catch (RuntimeException e) {
      return now;
    }
  }
}
