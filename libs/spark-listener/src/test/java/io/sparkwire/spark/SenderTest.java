package io.sparkwire.spark;

import static io.sparkwire.spark.FakeSidecar.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListenerApplicationStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.grpc.Metadata;
import io.sparkwire.proto.v1.PublishRequest;
import io.sparkwire.proto.v1.SparkEvent;

@Timeout(60)
class SenderTest {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  private FakeSidecar sidecar() throws Exception {
    FakeSidecar s = new FakeSidecar().start();
    toClose.add(s);
    return s;
  }

  private SparkwireClient client(int port, String... kv) {
    SparkwireClient c = TestClients.connected(port, kv);
    toClose.add(() -> c.close(true));
    return c;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private static void emit(SparkwireClient c, int from, int to) {
    for (int i = from; i < to; i++) {
      assertTrue(c.emit(TestClients.observation(i)));
    }
  }

  /** Every batch_seq received more than once must carry exactly the same request. */
  private static void assertResendsIdentical(FakeSidecar s) {
    Map<Long, PublishRequest> first = new HashMap<>();
    for (PublishRequest r : s.requests()) {
      PublishRequest prev = first.putIfAbsent(r.getBatchSeq(), r);
      if (prev != null) {
        assertEquals(prev, r, "resent batch " + r.getBatchSeq() + " differs");
      }
    }
  }

  @Test
  void handshakeThenBatchesAllAcked() throws Exception {
    FakeSidecar s = sidecar();
    SparkwireClient c = client(s.port(), "spark.sparkwire.batchSize", "100",
        "spark.sparkwire.token", "t0k3n");
    emit(c, 0, 1234);
    assertTrue(c.flush(10_000));
    List<PublishRequest> reqs = s.requests();
    PublishRequest hs = reqs.get(0);
    assertEquals(1, hs.getBatchSeq());
    assertEquals(0, hs.getEventsCount(), "the handshake is an empty batch");
    assertEquals(c.clientId, hs.getClientId());
    assertTrue(hs.hasClientStats());
    assertEquals("jvm", hs.getClientStats().getClientKind());
    assertEquals("0.1.0", hs.getClientStats().getClientVersion());
    long prev = 0;
    Set<String> ids = new HashSet<>();
    for (PublishRequest r : reqs) {
      assertTrue(r.getBatchSeq() > prev, "increasing batch_seq");
      prev = r.getBatchSeq();
      assertTrue(r.getEventsCount() <= 100);
      assertEquals(c.clientId, r.getClientId());
      for (SparkEvent e : r.getEventsList()) {
        assertTrue(ids.add(e.getEventId()));
      }
    }
    assertEquals(1234, ids.size());
    assertEquals(1234, s.published.size());
    assertEquals(1234, c.sender.eventsSent());
    assertEquals(1, s.streams.get());
    Metadata h = s.headers.get(0);
    assertEquals("Bearer t0k3n", h.get(Metadata.Key.of("authorization",
        Metadata.ASCII_STRING_MARSHALLER)));
    // events keep their order
    List<Long> order = new ArrayList<>();
    for (PublishRequest r : reqs) {
      for (SparkEvent e : r.getEventsList()) {
        order.add(e.getEventTimeMs());
      }
    }
    for (int i = 0; i < order.size(); i++) {
      assertEquals(i, order.get(i).intValue());
    }
  }

  @Test
  void streamDroppedMidwayResendsUnackedBatchesWithSameSeq() throws Exception {
    FakeSidecar s = sidecar();
    s.failStreamAtSeq = 4;
    SparkwireClient c = client(s.port(), "spark.sparkwire.batchSize", "50",
        "spark.sparkwire.lingerMs", "0");
    emit(c, 0, 1000);
    assertTrue(c.flush(15_000), "everything acked after the reconnect");
    assertEquals(2, s.streams.get());
    assertTrue(c.sender.resends() >= 1);
    assertResendsIdentical(s);
    // the second stream starts with the oldest unacked batch, in order
    List<Long> second = new ArrayList<>();
    for (FakeSidecar.Received r : s.received) {
      if (r.stream == 2) {
        second.add(r.request.getBatchSeq());
      }
    }
    assertEquals(4L, second.get(0).longValue(), second.toString());
    for (int i = 1; i < second.size(); i++) {
      assertTrue(second.get(i) > second.get(i - 1), second.toString());
    }
    assertEquals(2, s.receivedCount(4));
    assertEquals(1000, s.published.size(), "no event lost");
    assertEquals(1000, c.sender.eventsSent());
  }

  @Test
  void rejectedBatchIsDroppedAndNeverResent() throws Exception {
    FakeSidecar s = sidecar();
    s.rejectSeq = 3;
    s.failStreamAtSeq = 6; // a reconnect after the rejection must not bring seq 3 back
    SparkwireClient c = client(s.port(), "spark.sparkwire.batchSize", "10",
        "spark.sparkwire.lingerMs", "0");
    emit(c, 0, 100);
    assertTrue(c.flush(15_000));
    assertEquals(1, s.receivedCount(3), "a rejected batch is never resent");
    assertEquals(2, s.streams.get());
    assertEquals(1, c.sender.batchesRejected());
    long rejectedEvents = c.sender.eventsRejected();
    assertTrue(rejectedEvents > 0);
    assertEquals(100 - rejectedEvents, s.published.size());
    assertEquals(100 - rejectedEvents, c.sender.eventsSent());
    assertResendsIdentical(s);
  }

  @Test
  void sidecarThatNeverAnswersFillsTheBufferAndCallbacksStayFast() throws Exception {
    FakeSidecar s = sidecar();
    s.neverAnswer = true;
    SparkwireClient c = client(s.port(), "spark.sparkwire.extended", "true",
        "spark.sparkwire.bufferSize", "1000", "spark.sparkwire.batchSize", "100",
        "spark.sparkwire.maxUnackedBatches", "4", "spark.sparkwire.lingerMs", "0");
    SparkwireListener l = new SparkwireListener(c);
    SparkListenerTaskEnd end = SparkObjects.taskEnd(1, Success$.MODULE$, SparkObjects.metrics());
    int n = 200_000;
    long maxCallNs = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long a = System.nanoTime();
      l.onTaskEnd(end);
      maxCallNs = Math.max(maxCallNs, System.nanoTime() - a);
    }
    long totalMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(totalMs < 10_000, "200k onTaskEnd took " + totalMs + " ms");
    assertTrue(maxCallNs < 2_000_000_000L, "one onTaskEnd blocked for " + maxCallNs + " ns");

    // the sender stops draining at maxUnackedBatches: handshake + 3 batches
    await("4 unacked batches", 10_000, () -> s.received.size() == 4);
    Thread.sleep(200);
    assertEquals(4, s.received.size());
    assertEquals(4, c.sender.unackedBatches());
    long buffered = c.queue.size();
    long inFlight = s.requests().stream().mapToLong(PublishRequest::getEventsCount).sum();
    assertTrue(inFlight <= 300, "at most 3 batches of 100 in flight: " + inFlight);
    assertTrue(buffered >= 700, "the buffer stays (nearly) full: " + buffered);
    long dropped = c.droppedTotal();
    assertTrue(dropped >= n - 1000 - 300, "dropped " + dropped);
    assertEquals(n, buffered + inFlight + dropped, "every event is buffered, in flight or counted");
    assertEquals(dropped, c.droppedBufferFull.sum(), "connected but stuck: buffer full");
    assertEquals(n, l.totals().tasks);
    assertFalse(c.flush(300), "nothing is acked");
  }

  @Test
  void dropsWhileTheSidecarIsDownTooLongCountAsUnavailable() throws Exception {
    int port = FakeSidecar.freePort(); // nothing listens there
    SparkwireClient c = client(port, "spark.sparkwire.bufferSize", "10",
        "spark.sparkwire.maxOfflineMs", "0");
    Thread.sleep(20);
    for (int i = 0; i < 25; i++) {
      c.emit(TestClients.observation(i));
    }
    assertEquals(15, c.droppedSidecarUnavailable.sum());
    assertEquals(0, c.droppedBufferFull.sum());
    assertEquals(15, c.stats().getDroppedSidecarUnavailable());
    await("the one offline warning", 5_000, c.sender::offlineWarned);
  }

  @Test
  void bufferedWhileTheSidecarStartsLateThenDelivered() throws Exception {
    int port = FakeSidecar.freePort();
    SparkwireClient c = client(port, "spark.sparkwire.batchSize", "20");
    emit(c, 0, 100);
    Thread.sleep(500); // a few failed connects with backoff
    assertEquals(0, c.sender.eventsSent());
    FakeSidecar s = new FakeSidecar().start(port);
    toClose.add(s);
    assertTrue(c.flush(15_000));
    assertEquals(100, s.published.size());
    assertTrue(c.sender.everAcked());
  }

  @Test
  void stageLevelSidecarSwitchesTaskEventsOff() throws Exception {
    FakeSidecar s = sidecar();
    s.taskEventsWanted = false;
    SparkwireClient c = client(s.port(), "spark.sparkwire.extended", "true");
    assertTrue(c.taskEventsEnabled(), "until the sidecar says otherwise");
    await("handshake ack", 10_000, () -> c.sender.everAcked());
    assertFalse(c.taskEventsEnabled());
    SparkwireListener l = new SparkwireListener(c);
    for (int i = 0; i < 100; i++) {
      l.onTaskStart(new SparkListenerTaskStart(1, 0, SparkObjects.taskInfo(i, "ANY", 1)));
      l.onTaskEnd(SparkObjects.taskEnd(i, Success$.MODULE$, null));
    }
    assertEquals(0, c.queue.size());
    assertEquals(200, c.taskEventsSkipped.sum());
    assertTrue(c.flush(5_000));
    for (PublishRequest r : s.requests()) {
      for (SparkEvent e : r.getEventsList()) {
        assertFalse(e.hasTaskEnd() || e.hasTaskStart());
      }
    }
  }

  @Test
  void statsReachTheSidecar() throws Exception {
    FakeSidecar s = sidecar();
    SparkwireClient c = client(s.port(), "spark.sparkwire.bufferSize", "5",
        "spark.sparkwire.extended", "false");
    SparkwireListener l = new SparkwireListener(c);
    l.onTaskEnd(SparkObjects.taskEnd(1, Success$.MODULE$, null));
    await("stats with the skipped task event", 10_000, () -> s.requests().stream()
        .anyMatch(r -> r.hasClientStats() && r.getClientStats().getTaskEventsSkipped() == 1));
  }

  @Test
  void applicationEndFlushesAndCloses() throws Exception {
    FakeSidecar s = sidecar();
    SparkwireClient c = client(s.port(), "spark.sparkwire.lingerMs", "10000");
    SparkwireListener l = new SparkwireListener(c);
    l.onApplicationStart(new SparkListenerApplicationStart("app", SparkObjects.some("app-1"), 1L,
        "u", SparkObjects.none(), SparkObjects.none(), SparkObjects.none()));
    l.onTaskEnd(SparkObjects.taskEnd(1, Success$.MODULE$, null));
    long t0 = System.currentTimeMillis();
    l.onApplicationEnd(SparkTestCompat.applicationEnd(2L, null));
    long took = System.currentTimeMillis() - t0;
    assertTrue(c.isClosed());
    assertTrue(took < 5_000, "the flush does not wait for the linger: " + took + " ms");
    SparkEvent last = null;
    for (PublishRequest r : s.requests()) {
      for (SparkEvent e : r.getEventsList()) {
        last = e;
      }
    }
    assertNotNull(last);
    assertTrue(last.hasApplicationEnd());
    assertEquals(1, last.getApplicationEnd().getTotalTaskCount());
    assertEquals(2, s.published.size());
  }

  @Test
  void applicationEndWithoutSidecarIsBounded() throws Exception {
    SparkwireClient c = client(FakeSidecar.freePort(), "spark.sparkwire.flushTimeoutMs", "60000");
    SparkwireListener l = new SparkwireListener(c);
    long t0 = System.currentTimeMillis();
    l.onApplicationEnd(SparkTestCompat.applicationEnd(2L, null));
    long took = System.currentTimeMillis() - t0;
    assertTrue(c.isClosed());
    assertTrue(took < SparkwireListener.FLUSH_CAP_NEVER_CONNECTED_MS + 3_000, took + " ms");
  }
}
