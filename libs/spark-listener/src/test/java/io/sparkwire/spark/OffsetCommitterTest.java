package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sparkwire.proto.v1.CommitRequest;
import io.sparkwire.proto.v1.CommitResponse;
import io.sparkwire.proto.v1.FetchRequest;
import io.sparkwire.proto.v1.FetchResponse;
import io.sparkwire.proto.v1.FetchedPartition;
import io.sparkwire.proto.v1.LagRequest;
import io.sparkwire.proto.v1.LagResponse;
import io.sparkwire.proto.v1.LagStatus;
import io.sparkwire.proto.v1.OffsetRange;
import io.sparkwire.proto.v1.PartitionOffset;

/** OffsetCommitter against an in-process fake OffsetsService that fences like the sidecar. */
@Timeout(60)
class OffsetCommitterTest {
  /** Spark's org.apache.spark.streaming.kafka010.OffsetRange, as far as the committer reads it. */
  public static final class SparkOffsetRange {
    private final String topic;
    private final int partition;
    private final long from;
    private final long until;

    SparkOffsetRange(String topic, int partition, long from, long until) {
      this.topic = topic;
      this.partition = partition;
      this.from = from;
      this.until = until;
    }

    public String topic() {
      return topic;
    }

    public int partition() {
      return partition;
    }

    public long fromOffset() {
      return from;
    }

    public long untilOffset() {
      return until;
    }
  }

  /** A direct stream's RDD: HasOffsetRanges.offsetRanges(). */
  public static final class KafkaRdd {
    private final SparkOffsetRange[] ranges;

    KafkaRdd(SparkOffsetRange... ranges) {
      this.ranges = ranges;
    }

    public SparkOffsetRange[] offsetRanges() {
      return ranges;
    }
  }

  static final Metadata.Key<String> FIELD = Metadata.Key.of("sparkwire-field", Metadata.ASCII_STRING_MARSHALLER);

  /** Committed offsets per "topic-partition", fenced on from_offset, idempotent per (job, batch). */
  static final class FakeOffsets {
    final Map<String, Long> offsets = new HashMap<>();
    final List<CommitRequest> commits = new CopyOnWriteArrayList<>();
    final AtomicInteger unavailable = new AtomicInteger();
    String lastJob;
    long lastBatch = -1;

    synchronized void commit(CommitRequest req, StreamObserver<CommitResponse> out) {
      commits.add(req);
      if (unavailable.getAndDecrement() > 0) {
        out.onError(Status.UNAVAILABLE.withDescription("kafka down").asRuntimeException());
        return;
      }
      if (req.getQueryId().equals(lastJob) && req.getBatchId() == lastBatch) {
        out.onNext(CommitResponse.newBuilder().setOutcome(CommitResponse.Outcome.ALREADY_COMMITTED).build());
        out.onCompleted();
        return;
      }
      for (int i = 0; i < req.getRangesCount(); i++) {
        OffsetRange r = req.getRanges(i);
        Long stored = offsets.get(r.getTopic() + "-" + r.getPartition());
        if (stored != null && stored != r.getFromOffset() && !req.getForce()) {
          Metadata md = new Metadata();
          md.put(FIELD, "ranges[" + i + "].from_offset");
          out.onError(Status.FAILED_PRECONDITION
              .withDescription("partition " + r.getTopic() + "-" + r.getPartition() + " has committed offset " + stored + ", range starts at " + r.getFromOffset())
              .asRuntimeException(md));
          return;
        }
      }
      CommitResponse.Builder res = CommitResponse.newBuilder().setOutcome(CommitResponse.Outcome.COMMITTED);
      for (OffsetRange r : req.getRangesList()) {
        offsets.put(r.getTopic() + "-" + r.getPartition(), r.getUntilOffset());
        res.addCommitted(PartitionOffset.newBuilder().setTopic(r.getTopic()).setPartition(r.getPartition()).setOffset(r.getUntilOffset()));
      }
      lastJob = req.getQueryId();
      lastBatch = req.getBatchId();
      out.onNext(res.build());
      out.onCompleted();
    }

    synchronized void fetch(FetchRequest req, StreamObserver<FetchResponse> out) {
      FetchResponse.Builder res = FetchResponse.newBuilder();
      for (String t : req.getTopicsList()) {
        for (int p = 0; p < 2; p++) {
          Long o = offsets.get(t + "-" + p);
          res.addPartitions(FetchedPartition.newBuilder().setTopic(t).setPartition(p).setOffset(o == null ? 0 : o).setCommitted(o != null));
        }
      }
      out.onNext(res.build());
      out.onCompleted();
    }

    void lag(LagRequest req, StreamObserver<LagResponse> out) {
      out.onNext(LagResponse.newBuilder().setGroup(req.getGroup()).setStatus(LagStatus.LAG_STATUS_OK).setTotalLag(3).build());
      out.onCompleted();
    }
  }

  private final FakeOffsets fake = new FakeOffsets();
  private Server server;
  private ManagedChannel channel;

  private OffsetCommitter committer() throws Exception {
    ServerServiceDefinition def = ServerServiceDefinition.builder(OffsetsRpc.SERVICE.getFullName())
        .addMethod(OffsetsRpc.COMMIT, ServerCalls.asyncUnaryCall(fake::commit))
        .addMethod(OffsetsRpc.FETCH, ServerCalls.asyncUnaryCall(fake::fetch))
        .addMethod(OffsetsRpc.LAG, ServerCalls.asyncUnaryCall(fake::lag))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(def).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    return new OffsetCommitter(channel, "orders-etl", "orders-job", 10_000, 3);
  }

  @AfterEach
  void close() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void commitsTheRangesOfHasOffsetRangesAfterOutput() throws Exception {
    OffsetCommitter c = committer();
    OffsetCommitter.Result r = c.commit(1000L, new KafkaRdd(new SparkOffsetRange("orders", 0, 0, 40), new SparkOffsetRange("orders", 1, 0, 25)));
    assertTrue(r.committed);
    assertEquals(Map.of("orders-0", 40L, "orders-1", 25L), r.offsets);
    CommitRequest sent = fake.commits.get(0);
    assertEquals("orders-etl", sent.getGroup());
    assertEquals("orders-job", sent.getQueryId());
    assertEquals(1000L, sent.getBatchId());
    assertEquals(2, sent.getRangesCount());
    assertEquals(25L, sent.getRanges(1).getUntilOffset());

    // The next batch, from an OffsetRange[] (the cast result of rdd.offsetRanges()).
    assertTrue(c.commit(2000L, new SparkOffsetRange[] {new SparkOffsetRange("orders", 0, 40, 55)}).committed);
    // The same batch again: idempotent.
    assertFalse(c.commit(2000L, new SparkOffsetRange[] {new SparkOffsetRange("orders", 0, 40, 55)}).committed);
    assertEquals(Map.of("orders-0", 55L, "orders-1", 25L), c.assignOffsets(List.of("orders")));
    assertEquals(3L, c.lag(List.of("orders")).getTotalLag());
  }

  @Test
  void aFencedRangeThrowsWithCodeAndFieldForceOverrides() throws Exception {
    OffsetCommitter c = committer();
    c.commit(1L, List.of(new OffsetCommitter.Range("orders", 0, 0, 10)), false);
    OffsetCommitter.OffsetsException e = assertThrows(OffsetCommitter.OffsetsException.class,
        () -> c.commit(2L, List.of(new OffsetCommitter.Range("orders", 0, 12, 20)), false));
    assertEquals("FAILED_PRECONDITION", e.code());
    assertEquals("ranges[0].from_offset", e.field());
    assertTrue(e.getMessage().contains("committed offset 10"), e.getMessage());
    assertTrue(c.commit(2L, List.of(new OffsetCommitter.Range("orders", 0, 12, 20)), true).committed);
  }

  @Test
  void unavailableIsRetried() throws Exception {
    OffsetCommitter c = committer();
    fake.unavailable.set(2);
    assertTrue(c.commit(1L, List.of(new OffsetCommitter.Range("orders", 0, 0, 1)), false).committed);
    assertEquals(3, fake.commits.size());
    fake.unavailable.set(10);
    OffsetCommitter.OffsetsException e = assertThrows(OffsetCommitter.OffsetsException.class,
        () -> c.commit(2L, List.of(new OffsetCommitter.Range("orders", 0, 1, 2)), false));
    assertEquals("UNAVAILABLE", e.code());
  }

  @Test
  void rejectsWhatIsNotOffsetRanges() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OffsetCommitter.rangesOf("not an rdd"));
    assertTrue(e.getMessage().contains("offsetRanges"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OffsetCommitter.create("127.0.0.1:1", "", "job"));
  }
}
