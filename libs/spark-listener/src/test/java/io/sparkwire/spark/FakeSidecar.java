package io.sparkwire.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sparkwire.proto.v1.PublishAck;
import io.sparkwire.proto.v1.PublishRequest;
import io.sparkwire.proto.v1.SparkEvent;

/** An in-process ListenerService on 127.0.0.1 with scriptable misbehaviour. */
final class FakeSidecar implements AutoCloseable {
  /** One received request and the stream (1, 2, ...) it came on. */
  static final class Received {
    final int stream;
    final PublishRequest request;

    Received(int stream, PublishRequest request) {
      this.stream = stream;
      this.request = request;
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  final List<Metadata> headers = new CopyOnWriteArrayList<>();
  /** Events of batches acked OK, by event id (dedup like the real sidecar). */
  final Map<String, SparkEvent> published = Collections.synchronizedMap(new LinkedHashMap<>());
  final AtomicInteger streams = new AtomicInteger();

  volatile boolean taskEventsWanted = true;
  volatile boolean neverAnswer;
  /** On first receipt of this seq: no ack, the stream fails with UNAVAILABLE. */
  volatile long failStreamAtSeq = -1;
  /** This seq is acked with error_code 3 (INVALID_ARGUMENT). */
  volatile long rejectSeq = -1;
  private final AtomicBoolean failedOnce = new AtomicBoolean();

  private Server server;
  private int port;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  FakeSidecar start() throws IOException {
    return start(0);
  }

  FakeSidecar start(int wantedPort) throws IOException {
    return start(wantedPort, null);
  }

  /** With TLS when {@code keyManagers} is given. */
  FakeSidecar start(int wantedPort, javax.net.ssl.KeyManager[] keyManagers) throws IOException {
    ServerServiceDefinition def = ServerServiceDefinition
        .builder(ListenerRpc.SERVICE.getFullName())
        .addMethod(ListenerRpc.STREAM, ServerCalls.asyncBidiStreamingCall(this::openStream))
        .build();
    ServerInterceptor captureHeaders = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h,
          ServerCallHandler<Q, R> next) {
        headers.add(h);
        return next.startCall(call, h);
      }
    };
    io.grpc.ServerCredentials creds = keyManagers == null
        ? io.grpc.InsecureServerCredentials.create()
        : io.grpc.TlsServerCredentials.newBuilder().keyManager(keyManagers).build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", wantedPort), creds)
        .addService(ServerInterceptors.intercept(def, captureHeaders))
        .build()
        .start();
    port = server.getPort();
    return this;
  }

  int port() {
    return port;
  }

  private StreamObserver<PublishRequest> openStream(StreamObserver<PublishAck> out) {
    final int streamNo = streams.incrementAndGet();
    final AtomicBoolean closed = new AtomicBoolean();
    return new StreamObserver<>() {
      @Override
      public void onNext(PublishRequest req) {
        received.add(new Received(streamNo, req));
        if (neverAnswer || closed.get()) {
          return;
        }
        if (req.getBatchSeq() == failStreamAtSeq && failedOnce.compareAndSet(false, true)) {
          closed.set(true);
          out.onError(Status.UNAVAILABLE.withDescription("test: stream dropped").asException());
          return;
        }
        PublishAck.Builder ack = PublishAck.newBuilder()
            .setBatchSeq(req.getBatchSeq())
            .setTaskEventsWanted(taskEventsWanted);
        if (req.getBatchSeq() == rejectSeq) {
          ack.setErrorCode(Status.Code.INVALID_ARGUMENT.value()).setErrorMessage("test: rejected");
        } else {
          int dup = 0;
          for (SparkEvent e : req.getEventsList()) {
            if (published.putIfAbsent(e.getEventId(), e) != null) {
              dup++;
            }
          }
          ack.setAccepted(req.getEventsCount() - dup).setDuplicates(dup);
        }
        out.onNext(ack.build());
      }

      @Override
      public void onError(Throwable t) {
        closed.set(true);
      }

      @Override
      public void onCompleted() {
        if (closed.compareAndSet(false, true)) {
          out.onCompleted();
        }
      }
    };
  }

  List<PublishRequest> requests() {
    List<PublishRequest> out = new ArrayList<>();
    for (Received r : received) {
      out.add(r.request);
    }
    return out;
  }

  long receivedCount(long seq) {
    return received.stream().filter(r -> r.request.getBatchSeq() == seq).count();
  }

  @Override
  public void close() throws InterruptedException {
    if (server != null) {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static void await(String what, long timeoutMs, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(5);
    }
  }
}
