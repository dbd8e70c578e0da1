package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.streaming.SinkProgress;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.types.DoubleType$;
import org.apache.spark.sql.types.LongType$;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import io.sparkwire.proto.v1.SparkEvent;
import io.sparkwire.proto.v1.StreamingProgress;

class StreamingMappingTest {

  static Row row(long rows, double rate) {
    StructType schema = new StructType(new StructField[] {
        new StructField("rows", LongType$.MODULE$, true, Metadata.empty()),
        new StructField("rate", DoubleType$.MODULE$, true, Metadata.empty())});
    return new GenericRowWithSchema(new Object[] {rows, rate}, schema);
  }

  static StreamingQueryProgress progress(UUID id, UUID run) {
    SourceProgress src = new SourceProgress("KafkaV2[Subscribe[orders]]", "{\"orders\":{\"0\":1}}",
        "{\"orders\":{\"0\":5}}", "{\"orders\":{\"0\":9}}", 4L, 1.5, 2.5,
        Map.of("avgOffsetsBehindLatest", "4.0", "maxOffsetsBehindLatest", "4"));
    SinkProgress sink = new SinkProgress("ConsoleSinkProvider", 4L, Map.of());
    StateOperatorProgress st = new StateOperatorProgress("stateStoreSave", 10, 2, 0, 0, 0, 0,
        1024, 1, 200, 1, Map.of("numStateStoreInstances", 3L));
    return new StreamingQueryProgress(id, run, "orders-stream", "2024-01-02T03:04:05.678Z", 7L,
        100L, Map.of("triggerExecution", 100L, "addBatch", 60L),
        Map.of("watermark", "2024-01-01T00:00:00.000Z", "max", "2024-01-02T00:00:00.000Z"),
        new StateOperatorProgress[] {st}, new SourceProgress[] {src}, sink,
        Map.of("dq", row(5L, 2.5)));
  }

  @Test
  void progressEveryField() {
    UUID id = UUID.randomUUID();
    UUID run = UUID.randomUUID();
    SparkEvent e = StreamingEvents.progress(progress(id, run), 1L).build();
    assertEquals(java.time.Instant.parse("2024-01-02T03:04:05.678Z").toEpochMilli(),
        e.getEventTimeMs());
    StreamingProgress p = e.getStreamingProgress();
    assertEquals(id.toString(), p.getId());
    assertEquals(run.toString(), p.getRunId());
    assertEquals("orders-stream", p.getName());
    assertEquals("2024-01-02T03:04:05.678Z", p.getTimestamp());
    assertEquals(7L, p.getBatchId());
    assertEquals(100L, p.getBatchDurationMs());
    assertEquals(4L, p.getNumInputRows());
    assertEquals(1.5, p.getInputRowsPerSecond());
    assertEquals(2.5, p.getProcessedRowsPerSecond());
    assertEquals(Map.of("triggerExecution", 100L, "addBatch", 60L), p.getDurationMsMap());
    assertEquals("2024-01-01T00:00:00.000Z", p.getEventTimeMap().get("watermark"));
    assertEquals(1, p.getStateOperatorsCount());
    var so = p.getStateOperators(0);
    assertEquals("stateStoreSave", so.getOperatorName());
    assertEquals(10, so.getNumRowsTotal());
    assertEquals(2, so.getNumRowsUpdated());
    assertEquals(1024, so.getMemoryUsedBytes());
    assertEquals(1, so.getNumRowsDroppedByWatermark());
    assertEquals(Map.of("numStateStoreInstances", 3L), so.getCustomMetricsMap());
    var src = p.getSources(0);
    assertEquals("KafkaV2[Subscribe[orders]]", src.getDescription());
    assertEquals("{\"orders\":{\"0\":1}}", src.getStartOffset());
    assertEquals("{\"orders\":{\"0\":5}}", src.getEndOffset());
    assertEquals("{\"orders\":{\"0\":9}}", src.getLatestOffset());
    assertEquals(4L, src.getNumInputRows());
    assertEquals(1.5, src.getInputRowsPerSecond());
    assertEquals(2.5, src.getProcessedRowsPerSecond());
    assertEquals("4.0", src.getMetricsMap().get("avgOffsetsBehindLatest"));
    assertEquals("ConsoleSinkProvider", p.getSink().getDescription());
    assertEquals(4L, p.getSink().getNumOutputRows());
    assertEquals("{\"rows\":5,\"rate\":2.5}", p.getObservedMetricsMap().get("dq"));
  }

  @Test
  void startedAndTerminated() {
    UUID id = UUID.randomUUID();
    UUID run = UUID.randomUUID();
    SparkEvent e = StreamingEvents.map(new StreamingQueryListener.QueryTerminatedEvent(id, run,
        SparkObjects.none()), 42L).build();
    assertEquals(42L, e.getEventTimeMs());
    assertEquals("", e.getStreamingQueryTerminated().getException());
    e = StreamingEvents.map(new StreamingQueryListener.QueryStartedEvent(id, run, null,
        "not a time"), 43L).build();
    assertEquals(43L, e.getEventTimeMs());
    assertEquals("", e.getStreamingQueryStarted().getName());
  }

  @Test
  void streamingListenerSendsOnlyWhenTheBusListenerIsAbsent() {
    SparkwireClient client = TestClients.offline();
    try {
      SparkwireStreamingListener sl = new SparkwireStreamingListener(client);
      UUID id = UUID.randomUUID();
      sl.onQueryStarted(new StreamingQueryListener.QueryStartedEvent(id, id, "q", "x"));
      sl.onQueryProgress(new StreamingQueryListener.QueryProgressEvent(progress(id, id)));
      sl.onQueryIdle(new StreamingQueryListener.QueryIdleEvent(id, id, "x"));
      sl.onQueryTerminated(new StreamingQueryListener.QueryTerminatedEvent(id, id,
          SparkObjects.none()));
      List<SparkEvent> events = TestClients.drain(client);
      assertEquals(3, events.size());
      assertTrue(events.get(0).hasStreamingQueryStarted());
      assertTrue(events.get(1).hasStreamingProgress());
      assertTrue(events.get(2).hasStreamingQueryTerminated());

      // once SparkwireListener feeds the same client, the bus delivers these: no duplicates
      new SparkwireListener(client);
      sl.onQueryStarted(new StreamingQueryListener.QueryStartedEvent(id, id, "q", "x"));
      assertFalse(client.queue.size() > 0);
    } finally {
      client.close(true);
    }
  }
}
