package io.sparkwire.spark;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.sparkwire.proto.v1.ClientStats;
import io.sparkwire.proto.v1.SparkEvent;

/**
 * One client per Spark application: the bounded buffer, the envelope every event carries, the
 * counters, and the sender thread that streams batches to the sidecar.
 *
 * <p>Producers (Spark's listener thread, streaming and user threads) only copy fields into a
 * proto and {@link #emit} it: a non-blocking offer into the buffer, dropped and counted when the
 * buffer is full. Nothing here touches the network on the caller's thread.
 */
final class SparkwireClient {
  private static final Logger LOG = LoggerFactory.getLogger(SparkwireClient.class);

  static final String CLIENT_KIND = "jvm";
  static final String VERSION = ClientVersion.VERSION;

  final SparkwireConfig config;
  final String clientId = UUID.randomUUID().toString();
  private final String eventIdPrefix = clientId + "-";
  private final AtomicLong eventCounter = new AtomicLong();
  final ArrayBlockingQueue<SparkEvent> queue;
  final long startedAtMs = System.currentTimeMillis();

  // Envelope. The app id and name come from the conf and are refined at application start.
  private volatile String appId;
  private volatile String appName;
  private volatile String appAttemptId = "";
  private final Map<String, String> labels;

  // Counters (reported as ClientStats).
  final LongAdder droppedBufferFull = new LongAdder();
  final LongAdder droppedSidecarUnavailable = new LongAdder();
  final LongAdder taskEventsSkipped = new LongAdder();
  final LongAdder droppedAfterClose = new LongAdder();
  final AtomicLong enqueued = new AtomicLong();
  volatile long sparkDroppedEvents;
  private final AtomicBoolean firstDropLogged = new AtomicBoolean();

  /** The sidecar's last word on task events (PublishAck.task_events_wanted); true until told. */
  volatile boolean sidecarWantsTaskEvents = true;
  /** Set once a SparkwireListener on the listener bus feeds this client. */
  volatile boolean busListenerAttached;
  /** Set when onApplicationEnd starts: the shutdown hook then waits for it to finish. */
  volatile boolean applicationEnding;

  final GrpcSender sender;
  private final Object closeLock = new Object();
  private volatile boolean closed;
  private final Thread shutdownHook;

  SparkwireClient(SparkwireConfig config) {
    this(config, true, true);
  }

  /** Tests may leave out the shutdown hook, or the sender (events then stay in the buffer). */
  SparkwireClient(SparkwireConfig config, boolean installShutdownHook, boolean startSender) {
    this.config = config;
    this.queue = new ArrayBlockingQueue<>(config.bufferSize);
    this.appId = config.appId;
    this.appName = config.appName;
    this.labels = config.labels;
    this.sender = new GrpcSender(config, clientId, startedAtMs, queue, new SenderOwner());
    // The sender thread connects lazily, on its own thread: the constructor never touches the
    // network.
    if (startSender) {
      this.sender.start();
    }
    Thread hook = null;
    if (installShutdownHook) {
      try {
        hook = new Thread(this::onJvmShutdown, "sparkwire-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
      } catch (Throwable t) {
        hook = null;
        LOG.debug("sparkwire: no shutdown hook", t);
      }
    }
    this.shutdownHook = hook;
    LOG.info("sparkwire: client {} for app {} streaming to {} ({} mode, buffer {} events)",
        clientId, appId.isEmpty() ? "?" : appId, config.endpoint,
        config.extended ? "extended" : "stage-level", config.bufferSize);
  }

  void setApp(String id, String name, String attemptId) {
    if (id != null && !id.isEmpty()) {
      this.appId = id;
    }
    if (name != null && !name.isEmpty()) {
      this.appName = name;
    }
    if (attemptId != null) {
      this.appAttemptId = attemptId;
    }
  }

  String appId() {
    return appId;
  }

  String appName() {
    return appName;
  }

  boolean isClosed() {
    return closed;
  }

  /** Whether callbacks should build task_start / task_end events at all. */
  boolean taskEventsEnabled() {
    return config.extended && sidecarWantsTaskEvents;
  }

  /**
   * Cheap check before building an event: false (and the drop counted) when the buffer is
   * already full, so a stuck sidecar costs the listener thread almost nothing.
   */
  boolean hasRoom() {
    if (closed) {
      droppedAfterClose.increment();
      return false;
    }
    if (queue.remainingCapacity() > 0) {
      return true;
    }
    countDrop();
    return false;
  }

  /**
   * Completes the envelope and offers the event to the buffer without blocking. Returns false
   * when it was dropped.
   */
  boolean emit(SparkEvent.Builder b) {
    if (closed) {
      droppedAfterClose.increment();
      return false;
    }
    b.setEventId(eventIdPrefix + eventCounter.incrementAndGet())
        .setAppId(appId)
        .setAppName(appName)
        .setAppAttemptId(appAttemptId)
        .setEmittedTimeMs(System.currentTimeMillis());
    if (!labels.isEmpty()) {
      b.putAllLabels(labels);
    }
    SparkEvent e = b.build();
    if (queue.offer(e)) {
      enqueued.incrementAndGet();
      sender.eventAvailable();
      return true;
    }
    countDrop();
    return false;
  }

  /** Like {@link #emit} but waits up to timeoutMs for room: only for the application end event. */
  boolean emitWaiting(SparkEvent.Builder b, long timeoutMs) {
    if (closed) {
      droppedAfterClose.increment();
      return false;
    }
    b.setEventId(eventIdPrefix + eventCounter.incrementAndGet())
        .setAppId(appId)
        .setAppName(appName)
        .setAppAttemptId(appAttemptId)
        .setEmittedTimeMs(System.currentTimeMillis());
    if (!labels.isEmpty()) {
      b.putAllLabels(labels);
    }
    SparkEvent e = b.build();
    try {
      if (queue.offer(e) || queue.offer(e, timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        enqueued.incrementAndGet();
        sender.eventAvailable();
        return true;
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
    countDrop();
    return false;
  }

  private void countDrop() {
    if (sender.unavailableTooLong(System.currentTimeMillis())) {
      droppedSidecarUnavailable.increment();
    } else {
      droppedBufferFull.increment();
    }
    if (firstDropLogged.compareAndSet(false, true)) {
      LOG.warn("sparkwire: the event buffer ({} events) is full; events are being dropped and "
          + "counted (ClientStats.dropped_buffer_full / dropped_sidecar_unavailable). "
          + "Sidecar: {}", config.bufferSize, config.endpoint);
    }
  }

  long droppedTotal() {
    return droppedBufferFull.sum() + droppedSidecarUnavailable.sum();
  }

  ClientStats stats() {
    return ClientStats.newBuilder()
        .setDroppedBufferFull(droppedBufferFull.sum())
        .setDroppedSidecarUnavailable(droppedSidecarUnavailable.sum())
        .setSparkDroppedEvents(Math.max(0, sparkDroppedEvents))
        .setEventsSent(sender.eventsSent())
        .setTaskEventsSkipped(taskEventsSkipped.sum())
        .setClientKind(CLIENT_KIND)
        .setClientVersion(VERSION)
        .build();
  }

  /**
   * Waits until every event enqueued so far is acknowledged (or rejected) by the sidecar, at most
   * timeoutMs. Returns true when everything was settled.
   */
  boolean flush(long timeoutMs) {
    return sender.awaitSettled(enqueued.get(), timeoutMs);
  }

  /** Flushes with the given timeout, then stops the sender and closes the channel. Idempotent. */
  void flushAndClose(long timeoutMs) {
    if (closed) {
      return;
    }
    boolean settled = flush(timeoutMs);
    close(settled);
  }

  void close(boolean settled) {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    ClientRegistry.release(this);
    sender.stop(2_000);
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (Throwable ignored) {
        // the JVM is already shutting down
      }
    }
    long undelivered = Math.max(0, enqueued.get() - sender.settledEvents());
    String msg = "sparkwire: client {} closed: {} events acknowledged, {} dropped (buffer full), "
        + "{} dropped (sidecar unavailable), {} rejected by the sidecar, {} task events not built, "
        + "{} not delivered at close";
    Object[] args = {clientId, sender.eventsSent(), droppedBufferFull.sum(),
        droppedSidecarUnavailable.sum(), sender.eventsRejected(), taskEventsSkipped.sum(),
        undelivered};
    if (settled && droppedTotal() == 0 && sender.eventsRejected() == 0) {
      LOG.info(msg, args);
    } else {
      LOG.warn(msg, args);
    }
  }

  /** The sender's view of this client: the stats to report, and where the sidecar's answers go. */
  private final class SenderOwner implements GrpcSender.Owner {
    @Override
    public ClientStats stats() {
      return SparkwireClient.this.stats();
    }

    @Override
    public long droppedTotal() {
      return SparkwireClient.this.droppedTotal();
    }

    @Override
    public void taskEventsWanted(boolean wanted) {
      sidecarWantsTaskEvents = wanted;
    }

    @Override
    public void sparkDroppedEvents(long dropped) {
      sparkDroppedEvents = dropped;
    }
  }

  /**
   * JVM shutdown: Spark's own hook stops the SparkContext (which posts ApplicationEnd) at the same
   * time, so give that path a moment, then flush briefly and close.
   */
  private void onJvmShutdown() {
    try {
      long start = System.currentTimeMillis();
      long deadline = start + Math.min(config.flushTimeoutMs, 5_000);
      while (!closed && System.currentTimeMillis() < deadline) {
        boolean allSettled = sender.settledEvents() >= enqueued.get();
        if (allSettled && !applicationEnding && System.currentTimeMillis() - start >= 500) {
          break;
        }
        Thread.sleep(20);
      }
      close(sender.settledEvents() >= enqueued.get());
    } catch (Throwable t) {
      // never disturb the JVM's shutdown
    }
  }
}
