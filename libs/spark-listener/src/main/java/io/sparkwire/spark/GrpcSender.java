package io.sparkwire.spark;

import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.sparkwire.proto.v1.ClientStats;
import io.sparkwire.proto.v1.PublishAck;
import io.sparkwire.proto.v1.PublishRequest;
import io.sparkwire.proto.v1.SparkEvent;

/**
 * The one daemon thread that batches buffered events and streams them to the sidecar.
 *
 * <p>All stream state is owned by this thread. gRPC callbacks (acks, stream errors, readiness)
 * only post a signal to {@link #inbox} and wake the thread. Batches stay in {@link #unacked}
 * until the sidecar acks them; after a reconnect they are resent in order with the same
 * batch_seq and events. At {@code maxUnackedBatches} the thread stops draining the buffer, so a
 * stuck sidecar fills the buffer and producers drop (and count) instead of blocking.
 */
final class GrpcSender implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcSender.class);

  static final long MIN_BACKOFF_MS = 100;
  static final long MAX_BACKOFF_MS = 5_000;
  static final long STATS_INTERVAL_MS = 1_000;
  static final long SPARK_METRIC_INTERVAL_MS = 1_000;
  /** A batch is closed before it exceeds this many bytes (the sidecar accepts 4 MiB messages). */
  static final int MAX_BATCH_BYTES = 1 << 20;
  /** A batch whose stream keeps failing with a content error is given up after this many sends. */
  static final int MAX_SENDS_ON_CONTENT_ERROR = 3;

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

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

  private final SparkwireClient client;
  private final SparkwireConfig cfg;
  private final ConcurrentLinkedQueue<Signal> inbox = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile boolean idleWaiting;
  private volatile boolean stopRequested;
  private final java.util.concurrent.atomic.AtomicInteger flushWaiters =
      new java.util.concurrent.atomic.AtomicInteger();

  // Read by other threads.
  private final AtomicLong eventsSent = new AtomicLong();
  private final AtomicLong eventsRejected = new AtomicLong();
  private final AtomicLong batchesRejected = new AtomicLong();
  private final AtomicLong settled = new AtomicLong();
  private final AtomicLong batchesSentTotal = new AtomicLong();
  private final AtomicLong resends = new AtomicLong();
  private final AtomicLong streamsOpened = new AtomicLong();
  private final Object settleLock = new Object();
  /** 0 while the sidecar answers; else when it stopped answering (the start, at first). */
  private volatile long unavailableSinceMs;

  // Owned by the sender thread.
  private ManagedChannel channel;
  private ClientCallStreamObserver<PublishRequest> stream;
  private int generation;
  private final List<Batch> unacked = new ArrayList<>();
  private int sentOnStream;
  private long nextSeq = 1;
  private long backoffMs = MIN_BACKOFF_MS;
  private long nextConnectAtMs;
  private long lingerDeadlineMs = -1;
  private long lastStatsAtMs = Long.MIN_VALUE / 2;
  private ClientStats lastStats;
  private long nextSparkMetricAtMs;
  private volatile boolean everAcked;
  private boolean inOutage;
  private volatile boolean offlineWarned;
  private boolean channelFailureLogged;
  private final SparkDroppedEvents sparkDropped = new SparkDroppedEvents();

  GrpcSender(SparkwireClient client) {
    this.client = client;
    this.cfg = client.config;
    this.unavailableSinceMs = client.startedAtMs;
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

  long streamsOpened() {
    return streamsOpened.get();
  }

  boolean awaitSettled(long target, long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    flushWaiters.incrementAndGet();
    LockSupport.unpark(thread);
    try {
      synchronized (settleLock) {
        while (settled.get() < target) {
          long left = deadline - System.nanoTime();
          if (left <= 0 || !thread.isAlive() && settled.get() < target) {
            return false;
          }
          settleLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
      }
      return true;
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
      synchronized (settleLock) {
        settleLock.notifyAll();
      }
    }
  }

  private void sleep(long now) {
    long wait = STATS_INTERVAL_MS;
    boolean canSendNew = stream != null && unacked.size() < cfg.maxUnackedBatches
        && sentOnStream == unacked.size() && stream.isReady();
    if (lingerDeadlineMs >= 0 && canSendNew) {
      wait = Math.min(wait, lingerDeadlineMs - now);
    }
    if (stream == null) {
      wait = Math.min(wait, nextConnectAtMs - now);
    }
    if (wait <= 0 || !inbox.isEmpty()) {
      return;
    }
    boolean nothingBuffered = client.queue.isEmpty();
    if (nothingBuffered) {
      idleWaiting = true;
      // re-check after publishing the flag so a concurrent offer cannot be missed
      if (!client.queue.isEmpty() || !inbox.isEmpty()) {
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
        onAck(s.ack, now);
      } else if (s.error != null) {
        onStreamFailed(s.error, now);
      }
      // a readiness signal only needs the wake-up
    }
  }

  private void onAck(PublishAck ack, long now) {
    int idx = -1;
    for (int i = 0; i < unacked.size(); i++) {
      if (unacked.get(i).seq == ack.getBatchSeq()) {
        idx = i;
        break;
      }
    }
    client.sidecarWantsTaskEvents = ack.getTaskEventsWanted();
    everAcked = true;
    unavailableSinceMs = 0;
    backoffMs = MIN_BACKOFF_MS;
    if (inOutage) {
      inOutage = false;
      LOG.info("sparkwire: sidecar at {} reachable again; resent unacknowledged batches",
          cfg.endpoint);
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

  private void settle(int events) {
    if (events > 0) {
      settled.addAndGet(events);
    }
    synchronized (settleLock) {
      settleLock.notifyAll();
    }
  }

  private void onStreamFailed(Status status, long now) {
    ClientCallStreamObserver<PublishRequest> old = stream;
    stream = null;
    generation++;
    sentOnStream = 0;
    try {
      old.cancel("sparkwire: stream failed", null);
    } catch (Throwable ignored) {
      // already closed
    }
    if (unavailableSinceMs == 0) {
      unavailableSinceMs = now;
    }
    Status.Code code = status.getCode();
    if (!unacked.isEmpty()
        && (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.RESOURCE_EXHAUSTED)) {
      // A sidecar that keeps ending the stream over the same batch: give that batch up.
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
    nextConnectAtMs = now + backoffMs;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
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
        channel = buildChannel();
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
      sentOnStream = 0;
      if (unacked.isEmpty()) {
        // Handshake: an empty batch; its ack tells whether the sidecar wants task events.
        unacked.add(newBatch(Collections.<SparkEvent>emptyList(), now, true));
      }
    } catch (Throwable t) {
      stream = null;
      if (!channelFailureLogged) {
        channelFailureLogged = true;
        LOG.warn("sparkwire: cannot open a stream to {}: {}", cfg.endpoint, t.toString());
      }
      nextConnectAtMs = now + backoffMs;
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }

  private void signal(Signal s) {
    inbox.add(s);
    LockSupport.unpark(thread);
  }

  private ManagedChannel buildChannel() throws Exception {
    String target = cfg.endpoint;
    for (String scheme : new String[] {"http://", "https://", "grpc://", "grpcs://"}) {
      if (target.startsWith(scheme)) {
        target = target.substring(scheme.length());
      }
    }
    while (target.endsWith("/")) {
      target = target.substring(0, target.length() - 1);
    }
    ChannelCredentials creds;
    if (cfg.tls || cfg.endpoint.startsWith("grpcs://")) {
      TlsChannelCredentials.Builder tb = TlsChannelCredentials.newBuilder();
      if (cfg.tlsCaCert != null) {
        tb.trustManager(new File(cfg.tlsCaCert));
      }
      creds = tb.build();
    } else {
      creds = InsecureChannelCredentials.create();
    }
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(target, creds)
        .directExecutor()
        .userAgent("sparkwire-jvm/" + SparkwireClient.VERSION);
    if (cfg.token != null) {
      Metadata md = new Metadata();
      md.put(AUTHORIZATION, "Bearer " + cfg.token);
      b.intercept(MetadataUtils.newAttachHeadersInterceptor(md));
    }
    return b.build();
  }

  /** Writes resends first, then new batches, while the transport is ready. */
  private void pump(long now) {
    ClientCallStreamObserver<PublishRequest> s = stream;
    while (sentOnStream < unacked.size()) {
      if (!s.isReady()) {
        return;
      }
      Batch b = unacked.get(sentOnStream);
      if (!write(s, b)) {
        return;
      }
      if (b.sends > 1) {
        resends.incrementAndGet();
      }
      sentOnStream++;
    }
    boolean draining = flushWaiters.get() > 0 || stopRequested;
    while (unacked.size() < cfg.maxUnackedBatches && s.isReady()) {
      int buffered = client.queue.size();
      if (buffered == 0) {
        lingerDeadlineMs = -1;
        if (statsDue(now) && lastStats != null) {
          // a stats-only (empty) batch, when a counter other than events_sent moved: drops
          // happen exactly when no events flow, and the sidecar should hear about them
          ClientStats st = client.stats();
          if (!st.toBuilder().setEventsSent(0).build()
              .equals(lastStats.toBuilder().setEventsSent(0).build())) {
            sendNew(s, Collections.<SparkEvent>emptyList(), now);
            continue;
          }
        }
        return;
      }
      if (buffered < cfg.batchSize && !draining) {
        if (lingerDeadlineMs < 0) {
          lingerDeadlineMs = now + cfg.lingerMs;
        }
        if (now < lingerDeadlineMs) {
          return;
        }
      }
      lingerDeadlineMs = -1;
      List<SparkEvent> events = new ArrayList<>(Math.min(buffered, cfg.batchSize));
      int bytes = 0;
      while (events.size() < cfg.batchSize) {
        SparkEvent e = client.queue.peek();
        if (e == null) {
          break;
        }
        int size = e.getSerializedSize() + 8;
        if (!events.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
          break;
        }
        client.queue.poll();
        events.add(e);
        bytes += size;
      }
      if (events.isEmpty()) {
        return;
      }
      if (!sendNew(s, events, now)) {
        return;
      }
    }
  }

  private boolean sendNew(ClientCallStreamObserver<PublishRequest> s, List<SparkEvent> events,
      long now) {
    Batch b = newBatch(events, now, false);
    unacked.add(b);
    if (!write(s, b)) {
      return false;
    }
    sentOnStream++;
    return true;
  }

  private boolean statsDue(long now) {
    return now - lastStatsAtMs >= STATS_INTERVAL_MS;
  }

  private Batch newBatch(List<SparkEvent> events, long now, boolean forceStats) {
    PublishRequest.Builder rb = PublishRequest.newBuilder()
        .setClientId(client.clientId)
        .setBatchSeq(nextSeq++)
        .addAllEvents(events);
    if (forceStats || statsDue(now)) {
      ClientStats st = client.stats();
      rb.setClientStats(st);
      lastStats = st;
      lastStatsAtMs = now;
    }
    return new Batch(rb.getBatchSeq(), rb.build());
  }

  private boolean write(ClientCallStreamObserver<PublishRequest> s, Batch b) {
    try {
      b.sends++;
      s.onNext(b.request);
      batchesSentTotal.incrementAndGet();
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
        client.sparkDroppedEvents = d;
      }
    }
    if (!everAcked && !offlineWarned && now - client.startedAtMs > cfg.maxOfflineMs
        && client.droppedTotal() > 0) {
      offlineWarned = true;
      LOG.warn("sparkwire: the sidecar at {} has not answered since the application started {} s "
          + "ago and the buffer of {} events is full: events are being dropped. Start the "
          + "sidecar, fix spark.sparkwire.endpoint, or set spark.sparkwire.enabled=false.",
          cfg.endpoint, (now - client.startedAtMs) / 1000, cfg.bufferSize);
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
    return unacked.size();
  }
}
