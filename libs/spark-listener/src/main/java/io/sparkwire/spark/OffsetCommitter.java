package io.sparkwire.spark;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sparkwire.proto.v1.CommitRequest;
import io.sparkwire.proto.v1.CommitResponse;
import io.sparkwire.proto.v1.FetchRequest;
import io.sparkwire.proto.v1.FetchResponse;
import io.sparkwire.proto.v1.FetchedPartition;
import io.sparkwire.proto.v1.LagRequest;
import io.sparkwire.proto.v1.LagResponse;
import io.sparkwire.proto.v1.OffsetRange;
import io.sparkwire.proto.v1.PartitionOffset;

/**
 * Commits a DStream's Kafka offsets through the sparkwire sidecar, into Kafka itself (the
 * group's committed offsets), after the batch's output succeeded: the "Kafka itself" option
 * of the Spark Kafka integration guide, with fencing and idempotence added.
 *
 * <pre>{@code
 * OffsetCommitter committer = OffsetCommitter.create("127.0.0.1:50551", "orders-etl", "orders-job");
 * Map<String, Long> start = committer.assignOffsets(List.of("orders")); // "topic-partition" -> offset
 * // ... ConsumerStrategies.Assign(partitions, kafkaParams, fromOffsets) with another group.id ...
 * stream.foreachRDD((rdd, time) -> {
 *   writeIdempotently(rdd);                          // your output first
 *   committer.commit(time.milliseconds(), rdd.rdd()); // then the offsets: rdd is HasOffsetRanges
 * });
 * }</pre>
 *
 * <p>{@code commit} takes anything with Spark's {@code HasOffsetRanges.offsetRanges()} (the RDD
 * of a direct stream), an {@code OffsetRange[]}, or a list of {@link Range}. Spark's classes are
 * read by their method names (topic, partition, fromOffset, untilOffset), so this jar does not
 * depend on spark-streaming-kafka. A range that does not start at the group's committed offset
 * is refused ({@link OffsetsException} FAILED_PRECONDITION): a batch repeated or skipped. The
 * same (job id, batch id) committed again changes nothing. Calls block; UNAVAILABLE is retried
 * with backoff.
 */
public final class OffsetCommitter implements AutoCloseable {
  private static final Metadata.Key<String> FIELD =
      Metadata.Key.of("sparkwire-field", Metadata.ASCII_STRING_MARSHALLER);

  /** One partition's [fromOffset, untilOffset). */
  public static final class Range {
    public final String topic;
    public final int partition;
    public final long fromOffset;
    public final long untilOffset;

    public Range(String topic, int partition, long fromOffset, long untilOffset) {
      this.topic = topic;
      this.partition = partition;
      this.fromOffset = fromOffset;
      this.untilOffset = untilOffset;
    }

    @Override
    public String toString() {
      return topic + "-" + partition + " [" + fromOffset + ", " + untilOffset + ")";
    }
  }

  /** What a commit did. */
  public static final class Result {
    /** False when this (job, batch) was committed before: nothing changed. */
    public final boolean committed;
    /** "topic-partition" -> the group's committed offset after the call. */
    public final Map<String, Long> offsets;

    Result(boolean committed, Map<String, Long> offsets) {
      this.committed = committed;
      this.offsets = offsets;
    }
  }

  /** A call the sidecar refused: the gRPC status name and the request field at fault. */
  public static final class OffsetsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String code;
    private final String field;

    OffsetsException(String code, String message, String field) {
      super(code + ": " + message);
      this.code = code;
      this.field = field;
    }

    public String code() {
      return code;
    }

    /** E.g. "ranges[0].from_offset"; null when the error names none. */
    public String field() {
      return field;
    }
  }

  private final ManagedChannel channel;
  private final boolean ownChannel;
  private final String group;
  private final String jobId;
  private final long timeoutMs;
  private final int retries;

  /** Plaintext (or TLS with https:// / grpcs://) to the sidecar at {@code endpoint}. */
  public static OffsetCommitter create(String endpoint, String group, String jobId) {
    return create(endpoint, group, jobId, null, null);
  }

  public static OffsetCommitter create(String endpoint, String group, String jobId, String token, String tlsCaCert) {
    checkIds(group, jobId); // before a channel exists that would need closing
    boolean tls = endpoint.startsWith("https://") || endpoint.startsWith("grpcs://") || tlsCaCert != null;
    ManagedChannel channel;
    try {
      channel = SidecarChannels.open(endpoint, tls, tlsCaCert, token, false);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("tlsCaCert: cannot read " + tlsCaCert + ": " + e.getMessage(), e);
    }
    return new OffsetCommitter(channel, true, group, jobId, 30_000, 5);
  }

  /** Over a channel the caller owns (tests, custom channels). */
  public OffsetCommitter(ManagedChannel channel, String group, String jobId, long timeoutMs, int retries) {
    this(channel, false, group, jobId, timeoutMs, retries);
  }

  private static void checkIds(String group, String jobId) {
    if (group == null || group.isEmpty()) {
      throw new IllegalArgumentException("group: must be a non-empty consumer group id");
    }
    if (jobId == null || jobId.isEmpty()) {
      throw new IllegalArgumentException("jobId: must be a stable id of the job (it makes re-commits idempotent)");
    }
  }

  private OffsetCommitter(ManagedChannel channel, boolean own, String group, String jobId, long timeoutMs, int retries) {
    checkIds(group, jobId);
    this.channel = channel;
    this.ownChannel = own;
    this.group = group;
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
    this.retries = retries;
  }

  /** The ranges of a HasOffsetRanges (e.g. a direct stream's RDD), an OffsetRange[] or a Range list. */
  public static List<Range> rangesOf(Object offsets) {
    if (offsets instanceof List) {
      List<Range> out = new ArrayList<>();
      for (Object o : (List<?>) offsets) {
        out.add(o instanceof Range ? (Range) o : rangeOf(o));
      }
      return out;
    }
    Object array = offsets;
    if (offsets != null && !offsets.getClass().isArray()) {
      array = invoke(offsets, "offsetRanges");
    }
    if (array == null || !array.getClass().isArray()) {
      throw new IllegalArgumentException("offsets: expected HasOffsetRanges (the RDD of a Kafka direct stream), OffsetRange[] or List<Range>, got "
          + (offsets == null ? "null" : offsets.getClass().getName()));
    }
    List<Range> out = new ArrayList<>();
    for (int i = 0; i < Array.getLength(array); i++) {
      out.add(rangeOf(Array.get(array, i)));
    }
    return out;
  }

  private static Range rangeOf(Object r) {
    return new Range(
        String.valueOf(invoke(r, "topic")),
        ((Number) invoke(r, "partition")).intValue(),
        ((Number) invoke(r, "fromOffset")).longValue(),
        ((Number) invoke(r, "untilOffset")).longValue());
  }

  private static Object invoke(Object target, String method) {
    try {
      Method m = target.getClass().getMethod(method);
      return m.invoke(target);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(target.getClass().getName() + " has no " + method + "(): not a Spark OffsetRange / HasOffsetRanges", e);
    }
  }

  /** Commits the batch's ranges (call it after the batch's output succeeded). */
  public Result commit(long batchId, Object offsetRanges) {
    return commit(batchId, rangesOf(offsetRanges), false);
  }

  /** With {@code force}, the from_offset check is skipped (an operator's rewind or skip). */
  public Result commit(long batchId, List<Range> ranges, boolean force) {
    CommitRequest.Builder req = CommitRequest.newBuilder().setGroup(group).setQueryId(jobId).setBatchId(batchId).setForce(force);
    for (Range r : ranges) {
      req.addRanges(OffsetRange.newBuilder().setTopic(r.topic).setPartition(r.partition).setFromOffset(r.fromOffset).setUntilOffset(r.untilOffset));
    }
    CommitResponse res = call(OffsetsRpc.COMMIT, req.build());
    Map<String, Long> offsets = new LinkedHashMap<>();
    for (PartitionOffset p : res.getCommittedList()) {
      offsets.put(p.getTopic() + "-" + p.getPartition(), p.getOffset());
    }
    return new Result(res.getOutcome() == CommitResponse.Outcome.COMMITTED, Collections.unmodifiableMap(offsets));
  }

  /** Where to start: the group's committed offsets (the sidecar's policy elsewhere). */
  public FetchResponse fetch(List<String> topics) {
    return call(OffsetsRpc.FETCH, FetchRequest.newBuilder().setGroup(group).addAllTopics(topics).build());
  }

  /**
   * The map for ConsumerStrategies.Assign: "topic-partition" -> offset, in partition order.
   * Build Kafka's TopicPartition from it by splitting at the last '-'.
   */
  public Map<String, Long> assignOffsets(List<String> topics) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (FetchedPartition p : fetch(topics).getPartitionsList()) {
      out.put(p.getTopic() + "-" + p.getPartition(), p.getOffset());
    }
    return out;
  }

  public LagResponse lag(List<String> topics) {
    return call(OffsetsRpc.LAG, LagRequest.newBuilder().setGroup(group).addAllTopics(topics).build());
  }

  private <Q, R> R call(MethodDescriptor<Q, R> method, Q request) {
    SidecarChannels.Backoff backoff = new SidecarChannels.Backoff(200, 5_000);
    for (int attempt = 0; ; attempt++) {
      try {
        return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS), request);
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.UNAVAILABLE && attempt < retries) {
          try {
            Thread.sleep(backoff.next());
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new OffsetsException(code.name(), "interrupted while retrying: " + e.getStatus().getDescription(), null);
          }
          continue;
        }
        Metadata trailers = e.getTrailers();
        String field = trailers == null ? null : trailers.get(FIELD);
        throw new OffsetsException(code.name(), String.valueOf(e.getStatus().getDescription()), field);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (ownChannel) {
      channel.shutdown();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
