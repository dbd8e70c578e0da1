package io.sparkwire.spark;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.sparkwire.proto.v1.ClientStats;
import io.sparkwire.proto.v1.PublishAck;
import io.sparkwire.proto.v1.PublishRequest;
import io.sparkwire.proto.v1.SparkEvent;

/**
 * The one daemon thread that streams batches to the sidecar: it owns the stream, reconnects with
 * backoff, and tells its {@link Owner} what the sidecar said.
 *
 * <p>All stream state is owned by this thread. gRPC callbacks (acks, stream errors, readiness)
 * only post a signal to {@link #inbox} and wake the thread. What goes into a batch is
 * {@link EventBatcher}'s business; which batches are in flight and get resent after a reconnect
 * is {@link AckWindow}'s. At {@code maxUnackedBatches} the thread stops draining the buffer, so
 * a stuck sidecar fills the buffer and producers drop (and count) instead of blocking.
 *
 * <p>Longer than most files here because the stream's lifecycle (connect, signals, failure,
 * outage logging, teardown) is one piece of state owned by one thread; split further, each part
 * would need the others' fields.
 */
final class GrpcSender implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcSender.class);

  static final long MIN_BACKOFF_MS = 100;
  static final long MAX_BACKOFF_MS = 5_000;
  static final long SPARK_METRIC_INTERVAL_MS = 1_000;

  /**
   * What the sender needs from whoever owns the buffer (the client), kept this small so the
   * sender depends on no client class and the client is the only side that knows both.
   */
  interface Owner {
    /** The counters to report as ClientStats; read on the sender thread. */
    ClientStats stats();

    /** Events dropped so far for a full buffer or an absent sidecar. */
    long droppedTotal();

    /** The sidecar's last PublishAck.task_events_wanted. */
    void taskEventsWanted(boolean wanted);

    /** Spark's own listener-bus drop count, read periodically; only called with values >= 0. */
    void sparkDroppedEvents(long dropped);
  }

  private static final class Signal {
    final int generation;
    final PublishAck ack; // null for ready / error
    final Status error; // null for ready / ack

    Signal(int generation, PublishAck ack, Status error) {
      this.generation = generation;
      this.ack = ack;
      this.error = error;
    }
  }

  private final SparkwireConfig cfg;
  private final Owner owner;
  private final Queue<SparkEvent> buffer;
  private final long startedAtMs;
  private final EventBatcher batcher;
  private final AckWindow window = new AckWindow();
  private final ConcurrentLinkedQueue<Signal> inbox = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile boolean idleWaiting;
  private volatile boolean stopRequested;
  private final AtomicInteger flushWaiters = new AtomicInteger();

  // Read by other threads.
  private final AtomicLong streamsOpened = new AtomicLong();
  /** 0 while the sidecar answers; else when it stopped answering (the start, at first). */
  private volatile long unavailableSinceMs;

  // Owned by the sender thread.
  private ManagedChannel channel;
  private ClientCallStreamObserver<PublishRequest> stream;
  private int generation;
  private final SidecarChannels.Backoff backoff =
      new SidecarChannels.Backoff(MIN_BACKOFF_MS, MAX_BACKOFF_MS);
  private long nextConnectAtMs;
  private long nextSparkMetricAtMs;
  private volatile boolean everAcked;
  private boolean inOutage;
  private volatile boolean offlineWarned;
  private boolean channelFailureLogged;
  private final SparkDroppedEvents sparkDropped = new SparkDroppedEvents();

  /**
   * @param buffer the producers' queue, drained only by this thread
   * @param startedAtMs when the application started: the sidecar counts as unavailable since then
   */
  GrpcSender(SparkwireConfig cfg, String clientId, long startedAtMs, Queue<SparkEvent> buffer,
      Owner owner) {
    this.cfg = cfg;
    this.owner = owner;
    this.buffer = buffer;
    this.startedAtMs = startedAtMs;
    this.unavailableSinceMs = startedAtMs;
    this.batcher = new EventBatcher(buffer, clientId, cfg.batchSize, cfg.lingerMs, owner::stats);
    this.thread = new Thread(this, "sparkwire-sender");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  // ---------------------------------------------------------------- called from other threads

  /** A producer enqueued an event: wake the sender only if it sleeps with nothing to do. */
  void eventAvailable() {
    if (idleWaiting) {
      idleWaiting = false;
      LockSupport.unpark(thread);
    }
  }

  /** True once the sidecar has not answered for longer than maxOfflineMs. */
  boolean unavailableTooLong(long nowMs) {
    long since = unavailableSinceMs;
    return since != 0 && nowMs - since > cfg.maxOfflineMs;
  }

  boolean everAcked() {
    return everAcked;
  }

  boolean sidecarAvailable() {
    return unavailableSinceMs == 0;
  }

  long eventsSent() {
    return window.eventsSent();
  }

  long eventsRejected() {
    return window.eventsRejected();
  }

  long batchesRejected() {
    return window.batchesRejected();
  }

  long settledEvents() {
    return window.settledEvents();
  }

  long batchesSent() {
    return window.batchesSent();
  }

  long resends() {
    return window.resends();
  }

  long streamsOpened() {
    return streamsOpened.get();
  }

  boolean awaitSettled(long target, long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    flushWaiters.incrementAndGet();
    LockSupport.unpark(thread);
    try {
      return window.awaitSettled(target, deadline, thread);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      flushWaiters.decrementAndGet();
    }
  }

  void stop(long joinMs) {
    stopRequested = true;
    LockSupport.unpark(thread);
    if (Thread.currentThread() != thread) {
      try {
        thread.join(joinMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------- the sender thread

  @Override
  public void run() {
    try {
      while (!stopRequested) {
        long now = System.currentTimeMillis();
        drainInbox(now);
        if (stopRequested) {
          break;
        }
        if (stream == null && now >= nextConnectAtMs) {
          connect(now);
        }
        if (stream != null) {
          pump(now);
        }
        housekeeping(now);
        sleep(now);
      }
    } catch (Throwable t) {
      LOG.error("sparkwire: sender thread failed; no more events will be sent", t);
    } finally {
      teardown();
      window.wakeWaiters();
    }
  }

  private void sleep(long now) {
    long wait = EventBatcher.STATS_INTERVAL_MS;
    boolean canSendNew = stream != null && window.size() < cfg.maxUnackedBatches
        && window.allOnStream() && stream.isReady();
    long lingerDeadlineMs = batcher.lingerDeadlineMs();
    if (lingerDeadlineMs >= 0 && canSendNew) {
      wait = Math.min(wait, lingerDeadlineMs - now);
    }
    if (stream == null) {
      wait = Math.min(wait, nextConnectAtMs - now);
    }
    if (wait <= 0 || !inbox.isEmpty()) {
      return;
    }
    boolean nothingBuffered = buffer.isEmpty();
    if (nothingBuffered) {
      idleWaiting = true;
      // re-check after publishing the flag so a concurrent offer cannot be missed
      if (!buffer.isEmpty() || !inbox.isEmpty()) {
        idleWaiting = false;
        return;
      }
    }
    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(wait));
    idleWaiting = false;
  }

  private void drainInbox(long now) {
    Signal s;
    while ((s = inbox.poll()) != null) {
      if (s.generation != generation || stream == null) {
        continue; // from a stream we already gave up
      }
      if (s.ack != null) {
        onAck(s.ack);
      } else if (s.error != null) {
        onStreamFailed(s.error, now);
      }
      // a readiness signal only needs the wake-up
    }
  }

  private void onAck(PublishAck ack) {
    // any ack, even for a batch we no longer hold, proves the sidecar is there
    owner.taskEventsWanted(ack.getTaskEventsWanted());
    everAcked = true;
    unavailableSinceMs = 0;
    backoff.reset();
    if (inOutage) {
      inOutage = false;
      LOG.info("sparkwire: sidecar at {} reachable again; resent unacknowledged batches",
          cfg.endpoint);
    }
    window.onAck(ack);
  }

  private void onStreamFailed(Status status, long now) {
    ClientCallStreamObserver<PublishRequest> old = stream;
    stream = null;
    generation++;
    window.newStream();
    try {
      old.cancel("sparkwire: stream failed", null);
    } catch (Throwable ignored) {
      // already closed
    }
    if (unavailableSinceMs == 0) {
      unavailableSinceMs = now;
    }
    Status.Code code = status.getCode();
    window.onStreamFailed(status);
    if (!inOutage) {
      inOutage = true;
      if (everAcked) {
        LOG.warn("sparkwire: stream to the sidecar at {} ended ({}: {}); reconnecting with "
            + "backoff, events are buffered meanwhile", cfg.endpoint, code, describe(status));
      } else {
        LOG.warn("sparkwire: cannot reach the sidecar at {} ({}: {}); retrying with backoff, "
            + "up to {} events are buffered meanwhile", cfg.endpoint, code, describe(status),
            cfg.bufferSize);
      }
    } else {
      LOG.debug("sparkwire: reconnect failed: {}", status);
    }
    nextConnectAtMs = now + backoff.next();
  }

  private static String describe(Status status) {
    String d = status.getDescription();
    if (d != null) {
      int nl = d.indexOf('\n');
      if (nl > 0) {
        d = d.substring(0, nl); // netty appends its pipeline on a second line
      }
    }
    Throwable c = status.getCause();
    if (c != null) {
      while (c.getCause() != null && c.getCause() != c) {
        c = c.getCause();
      }
      return (d == null ? "" : d + ": ") + c;
    }
    return d == null ? "" : d;
  }

  private void connect(long now) {
    try {
      if (channel == null) {
        channel = SidecarChannels.open(cfg.endpoint, cfg.tls || cfg.endpoint.startsWith("grpcs://"),
            cfg.tlsCaCert, cfg.token, true);
      } else {
        // skip gRPC's own (up to 2 min) reconnect backoff: ours is 100 ms .. 5 s
        channel.resetConnectBackoff();
      }
      final int gen = ++generation;
      ClientCall<PublishRequest, PublishAck> call =
          channel.newCall(ListenerRpc.STREAM, CallOptions.DEFAULT);
      ClientResponseObserver<PublishRequest, PublishAck> observer =
          new ClientResponseObserver<PublishRequest, PublishAck>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<PublishRequest> requestStream) {
              requestStream.setOnReadyHandler(() -> signal(new Signal(gen, null, null)));
            }

            @Override
            public void onNext(PublishAck ack) {
              signal(new Signal(gen, ack, null));
            }

            @Override
            public void onError(Throwable t) {
              signal(new Signal(gen, null, Status.fromThrowable(t)));
            }

            @Override
            public void onCompleted() {
              signal(new Signal(gen, null,
                  Status.UNAVAILABLE.withDescription("the sidecar closed the stream")));
            }
          };
      stream = (ClientCallStreamObserver<PublishRequest>)
          ClientCalls.asyncBidiStreamingCall(call, observer);
      streamsOpened.incrementAndGet();
      window.newStream();
      if (window.isEmpty()) {
        window.add(batcher.handshake(now));
      }
    } catch (Throwable t) {
      stream = null;
      if (!channelFailureLogged) {
        channelFailureLogged = true;
        LOG.warn("sparkwire: cannot open a stream to {}: {}", cfg.endpoint, t.toString());
      }
      nextConnectAtMs = now + backoff.next();
    }
  }

  private void signal(Signal s) {
    inbox.add(s);
    LockSupport.unpark(thread);
  }

  /** Writes resends first, then new batches, while the transport is ready. */
  private void pump(long now) {
    ClientCallStreamObserver<PublishRequest> s = stream;
    AckWindow.Batch resend;
    while ((resend = window.nextToResend()) != null) {
      if (!s.isReady()) {
        return;
      }
      if (!write(s, resend)) {
        return;
      }
      window.resent(resend);
    }
    boolean draining = flushWaiters.get() > 0 || stopRequested;
    while (window.size() < cfg.maxUnackedBatches && s.isReady()) {
      AckWindow.Batch b = batcher.next(now, draining);
      if (b == null) {
        return;
      }
      window.add(b);
      if (!write(s, b)) {
        if (b.events == 0) {
          continue; // stats only, nothing lost: the torn-down stream ends the loop as not ready
        }
        return;
      }
      window.sentNew();
    }
  }

  private boolean write(ClientCallStreamObserver<PublishRequest> s, AckWindow.Batch b) {
    try {
      b.sends++;
      s.onNext(b.request);
      window.countWrite();
      return true;
    } catch (Throwable t) {
      onStreamFailed(Status.fromThrowable(t), System.currentTimeMillis());
      return false;
    }
  }

  private void housekeeping(long now) {
    if (now >= nextSparkMetricAtMs) {
      nextSparkMetricAtMs = now + SPARK_METRIC_INTERVAL_MS;
      long d = sparkDropped.read();
      if (d >= 0) {
        owner.sparkDroppedEvents(d);
      }
    }
    if (!everAcked && !offlineWarned && now - startedAtMs > cfg.maxOfflineMs
        && owner.droppedTotal() > 0) {
      offlineWarned = true;
      LOG.warn("sparkwire: the sidecar at {} has not answered since the application started {} s "
          + "ago and the buffer of {} events is full: events are being dropped. Start the "
          + "sidecar, fix spark.sparkwire.endpoint, or set spark.sparkwire.enabled=false.",
          cfg.endpoint, (now - startedAtMs) / 1000, cfg.bufferSize);
    }
  }

  private void teardown() {
    ClientCallStreamObserver<PublishRequest> s = stream;
    stream = null;
    if (s != null) {
      try {
        s.onCompleted();
      } catch (Throwable ignored) {
        // closing anyway
      }
    }
    ManagedChannel ch = channel;
    channel = null;
    if (ch != null) {
      try {
        ch.shutdown();
        if (!ch.awaitTermination(500, TimeUnit.MILLISECONDS)) {
          ch.shutdownNow();
        }
      } catch (Throwable t) {
        ch.shutdownNow();
      }
    }
  }

  // for tests
  boolean offlineWarned() {
    return offlineWarned;
  }

  int unackedBatches() {
    return window.size();
  }
}
