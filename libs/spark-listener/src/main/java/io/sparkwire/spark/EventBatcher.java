package io.sparkwire.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.function.Supplier;

import io.sparkwire.proto.v1.ClientStats;
import io.sparkwire.proto.v1.PublishRequest;
import io.sparkwire.proto.v1.SparkEvent;

/**
 * Turns the event buffer into batches: when a batch is due (full, lingered long enough, or a
 * flush is waiting), how many events and bytes it may hold, its batch_seq, and when it carries
 * ClientStats. Knows nothing of streams; used only by the sender thread.
 */
final class EventBatcher {
  static final long STATS_INTERVAL_MS = 1_000;
  /** A batch is closed before it exceeds this many bytes (the sidecar accepts 4 MiB messages). */
  static final int MAX_BATCH_BYTES = 1 << 20;

  private final Queue<SparkEvent> buffer;
  private final String clientId;
  private final int batchSize;
  private final long lingerMs;
  private final Supplier<ClientStats> stats;

  private long nextSeq = 1;
  private long lingerDeadlineMs = -1;
  private long lastStatsAtMs = Long.MIN_VALUE / 2;
  private ClientStats lastStats;

  EventBatcher(Queue<SparkEvent> buffer, String clientId, int batchSize, long lingerMs,
      Supplier<ClientStats> stats) {
    this.buffer = buffer;
    this.clientId = clientId;
    this.batchSize = batchSize;
    this.lingerMs = lingerMs;
    this.stats = stats;
  }

  /** When a partial batch is due, or -1 when none is lingering. */
  long lingerDeadlineMs() {
    return lingerDeadlineMs;
  }

  /** An empty batch with stats: its ack tells whether the sidecar wants task events. */
  AckWindow.Batch handshake(long now) {
    return newBatch(Collections.<SparkEvent>emptyList(), now, true);
  }

  /**
   * The next batch to send, taken from the buffer, or null when none is due yet. With
   * {@code draining} (a flush or stop waits) a partial batch does not linger.
   */
  AckWindow.Batch next(long now, boolean draining) {
    int buffered = buffer.size();
    if (buffered == 0) {
      lingerDeadlineMs = -1;
      if (statsDue(now) && lastStats != null) {
        // a stats-only (empty) batch, when a counter other than events_sent moved: drops
        // happen exactly when no events flow, and the sidecar should hear about them
        ClientStats st = stats.get();
        if (!st.toBuilder().setEventsSent(0).build()
            .equals(lastStats.toBuilder().setEventsSent(0).build())) {
          return newBatch(Collections.<SparkEvent>emptyList(), now, false);
        }
      }
      return null;
    }
    if (buffered < batchSize && !draining) {
      if (lingerDeadlineMs < 0) {
        lingerDeadlineMs = now + lingerMs;
      }
      if (now < lingerDeadlineMs) {
        return null;
      }
    }
    lingerDeadlineMs = -1;
    List<SparkEvent> events = new ArrayList<>(Math.min(buffered, batchSize));
    int bytes = 0;
    while (events.size() < batchSize) {
      SparkEvent e = buffer.peek();
      if (e == null) {
        break;
      }
      int size = e.getSerializedSize() + 8;
      if (!events.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
        break;
      }
      buffer.poll();
      events.add(e);
      bytes += size;
    }
    if (events.isEmpty()) {
      return null;
    }
    return newBatch(events, now, false);
  }

  private boolean statsDue(long now) {
    return now - lastStatsAtMs >= STATS_INTERVAL_MS;
  }

  private AckWindow.Batch newBatch(List<SparkEvent> events, long now, boolean forceStats) {
    PublishRequest.Builder rb = PublishRequest.newBuilder()
        .setClientId(clientId)
        .setBatchSeq(nextSeq++)
        .addAllEvents(events);
    if (forceStats || statsDue(now)) {
      ClientStats st = stats.get();
      rb.setClientStats(st);
      lastStats = st;
      lastStatsAtMs = now;
    }
    return new AckWindow.Batch(rb.getBatchSeq(), rb.build());
  }
}
