package io.sparkwire.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.grpc.Status;
import io.sparkwire.proto.v1.PublishAck;
import io.sparkwire.proto.v1.PublishRequest;

/**
 * The batches sent and not yet acknowledged, oldest first, and which of them the current stream
 * has carried: after a reconnect the stream starts over at the oldest, so every unacked batch is
 * resent in order, unchanged. Also what settling a batch means for the counters and for
 * {@link GrpcSender#awaitSettled} waiters.
 *
 * <p>Mutated only by the sender thread; the counters and {@link #awaitSettled} are read by
 * others.
 */
final class AckWindow {
  // the sender's logger: these lines are part of what operators know as the sender's log
  private static final Logger LOG = LoggerFactory.getLogger(GrpcSender.class);

  /** A batch whose stream keeps failing with a content error is given up after this many sends. */
  static final int MAX_SENDS_ON_CONTENT_ERROR = 3;

  /** One batch as sent: kept unchanged until acked so a resend is byte-for-byte the same. */
  static final class Batch {
    final long seq;
    final PublishRequest request;
    final int events;
    int sends;

    Batch(long seq, PublishRequest request) {
      this.seq = seq;
      this.request = request;
      this.events = request.getEventsCount();
    }
  }

  private final List<Batch> unacked = new ArrayList<>();
  /** How many of {@link #unacked} (from the oldest) the current stream has carried. */
  private int sentOnStream;

  private final AtomicLong eventsSent = new AtomicLong();
  private final AtomicLong eventsRejected = new AtomicLong();
  private final AtomicLong batchesRejected = new AtomicLong();
  private final AtomicLong settled = new AtomicLong();
  private final AtomicLong batchesSentTotal = new AtomicLong();
  private final AtomicLong resends = new AtomicLong();
  private final Object settleLock = new Object();

  int size() {
    return unacked.size();
  }

  boolean isEmpty() {
    return unacked.isEmpty();
  }

  /** True when the current stream has carried every unacked batch (no resend pending). */
  boolean allOnStream() {
    return sentOnStream == unacked.size();
  }

  /** A new stream carries nothing yet: everything unacked is to be resent. */
  void newStream() {
    sentOnStream = 0;
  }

  void add(Batch b) {
    unacked.add(b);
  }

  /** The oldest batch the current stream has not carried, or null. */
  Batch nextToResend() {
    return sentOnStream < unacked.size() ? unacked.get(sentOnStream) : null;
  }

  /** The batch {@link #nextToResend} returned was written to the stream. */
  void resent(Batch b) {
    if (b.sends > 1) {
      resends.incrementAndGet();
    }
    sentOnStream++;
  }

  /** A new batch (the newest in the window) was written to the stream. */
  void sentNew() {
    sentOnStream++;
  }

  /** Any write of a batch to a stream, a resend included. */
  void countWrite() {
    batchesSentTotal.incrementAndGet();
  }

  void onAck(PublishAck ack) {
    int idx = -1;
    for (int i = 0; i < unacked.size(); i++) {
      if (unacked.get(i).seq == ack.getBatchSeq()) {
        idx = i;
        break;
      }
    }
    if (idx < 0) {
      LOG.debug("sparkwire: ack for unknown batch {}", ack.getBatchSeq());
      return;
    }
    Batch b = unacked.remove(idx);
    if (idx < sentOnStream) {
      sentOnStream--;
    }
    if (ack.getErrorCode() != 0) {
      // Rejected for its content: never resend it.
      long n = batchesRejected.incrementAndGet();
      eventsRejected.addAndGet(b.events);
      if (n == 1 || n % 100 == 0) {
        LOG.warn("sparkwire: the sidecar rejected batch {} ({} events, code {}: {}); "
            + "{} batches rejected so far", b.seq, b.events, ack.getErrorCode(),
            ack.getErrorMessage(), n);
      }
    } else {
      eventsSent.addAndGet(b.events);
    }
    settle(b.events);
  }

  /**
   * The stream ended with {@code status}. A sidecar that keeps ending the stream over the same
   * (oldest) batch for its content would otherwise get it resent forever: give that batch up.
   */
  void onStreamFailed(Status status) {
    Status.Code code = status.getCode();
    if (!unacked.isEmpty()
        && (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.RESOURCE_EXHAUSTED)) {
      Batch first = unacked.get(0);
      if (first.sends >= MAX_SENDS_ON_CONTENT_ERROR) {
        unacked.remove(0);
        batchesRejected.incrementAndGet();
        eventsRejected.addAndGet(first.events);
        LOG.warn("sparkwire: giving up batch {} ({} events) after {} sends ended with {}",
            first.seq, first.events, first.sends, status);
        settle(first.events);
      }
    }
  }

  private void settle(int events) {
    if (events > 0) {
      settled.addAndGet(events);
    }
    wakeWaiters();
  }

  void wakeWaiters() {
    synchronized (settleLock) {
      settleLock.notifyAll();
    }
  }

  /** Waits until {@code target} events are settled; false at the deadline or if the sender died. */
  boolean awaitSettled(long target, long deadlineNanos, Thread sender) throws InterruptedException {
    synchronized (settleLock) {
      while (settled.get() < target) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0 || !sender.isAlive() && settled.get() < target) {
          return false;
        }
        settleLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
    return true;
  }

  long eventsSent() {
    return eventsSent.get();
  }

  long eventsRejected() {
    return eventsRejected.get();
  }

  long batchesRejected() {
    return batchesRejected.get();
  }

  long settledEvents() {
    return settled.get();
  }

  long batchesSent() {
    return batchesSentTotal.get();
  }

  long resends() {
    return resends.get();
  }
}
