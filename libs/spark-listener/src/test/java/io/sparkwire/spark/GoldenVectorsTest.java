package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.spark.executor.TaskMetrics;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Descriptors.FieldDescriptor;

import io.sparkwire.proto.v1.PublishRequest;

/**
 * The golden vectors (proto/golden) as the JVM listener sees them: Spark's longs above 2^53
 * (proto/golden/18-stageCompleted-large.json) go from Spark's TaskMetrics into the protobuf
 * event exactly, and a uint64 batch_seq is encoded as every other client encodes it.
 */
class GoldenVectorsTest {
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

  private static Path goldenDir() {
    for (Path d = Paths.get(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
      Path g = d.resolve("proto/golden");
      if (Files.isDirectory(g)) {
        return g;
      }
    }
    throw new IllegalStateException("proto/golden not found above " + System.getProperty("user.dir"));
  }

  private static JsonNode golden(String name) throws IOException {
    return JSON.readTree(goldenDir().resolve(name).toFile());
  }

  /** An int64 of a proto3 JSON event (a number, or a string above 2^53), exactly. */
  private static long int64(JsonNode n) {
    return n == null ? 0L : new BigInteger(n.asText()).longValueExact();
  }

  @Test
  void longsAbove2To53GoFromSparkIntoTheEventExactly() throws IOException {
    JsonNode g = golden("18-stageCompleted-large.json");
    JsonNode want = g.path("event").path("stageCompleted").path("metrics");
    assertEquals(14_400_000_000_000_001L, int64(want.get("executorCpuTimeNs")));
    assertEquals(Long.MAX_VALUE, int64(want.get("shuffleWriteTimeNs")));

    // Spark's TaskMetrics with the vector's figures, through the listener's own mapping.
    TaskMetrics m = new TaskMetrics();
    m.setExecutorRunTime(int64(want.get("executorRunTimeMs")));
    m.setExecutorCpuTime(int64(want.get("executorCpuTimeNs")));
    m.setExecutorDeserializeTime(int64(want.get("executorDeserializeTimeMs")));
    m.setExecutorDeserializeCpuTime(int64(want.get("executorDeserializeCpuTimeNs")));
    m.setJvmGCTime(int64(want.get("jvmGcTimeMs")));
    m.incMemoryBytesSpilled(int64(want.get("memoryBytesSpilled")));
    m.incDiskBytesSpilled(int64(want.get("diskBytesSpilled")));
    m.setPeakExecutionMemory(int64(want.get("peakExecutionMemory")));
    m.setResultSerializationTime(int64(want.get("resultSerializationTimeMs")));
    m.setResultSize(int64(want.get("resultSize")));
    m.inputMetrics().setBytesRead(int64(want.get("bytesRead")));
    m.inputMetrics().setRecordsRead(int64(want.get("recordsRead")));
    m.outputMetrics().setBytesWritten(int64(want.get("bytesWritten")));
    m.outputMetrics().setRecordsWritten(int64(want.get("recordsWritten")));
    m.shuffleReadMetrics().setRemoteBytesRead(int64(want.get("shuffleRemoteBytesRead")));
    m.shuffleReadMetrics().setRemoteBytesReadToDisk(int64(want.get("shuffleRemoteBytesReadToDisk")));
    m.shuffleReadMetrics().setLocalBytesRead(int64(want.get("shuffleLocalBytesRead")));
    m.shuffleReadMetrics().setLocalBlocksFetched((int) int64(want.get("shuffleLocalBlocksFetched")));
    m.shuffleReadMetrics().setRemoteBlocksFetched((int) int64(want.get("shuffleRemoteBlocksFetched")));
    m.shuffleReadMetrics().setRecordsRead(int64(want.get("shuffleRecordsRead")));
    m.shuffleReadMetrics().setFetchWaitTime(int64(want.get("shuffleFetchWaitTimeMs")));
    m.shuffleWriteMetrics().incBytesWritten(int64(want.get("shuffleBytesWritten")));
    m.shuffleWriteMetrics().incRecordsWritten(int64(want.get("shuffleRecordsWritten")));
    m.shuffleWriteMetrics().incWriteTime(int64(want.get("shuffleWriteTimeNs")));
    io.sparkwire.proto.v1.TaskMetrics got = EventMapper.metrics(m);

    // Every TaskMetrics field, by its proto3 JSON name, equals the vector's value.
    for (FieldDescriptor f : io.sparkwire.proto.v1.TaskMetrics.getDescriptor().getFields()) {
      assertEquals(int64(want.get(f.getJsonName())), ((Long) got.getField(f)).longValue(), f.getJsonName());
    }
    // The protobuf bytes keep them, and the record the sidecar writes carries the same digits.
    io.sparkwire.proto.v1.TaskMetrics back = io.sparkwire.proto.v1.TaskMetrics.parseFrom(got.toByteArray());
    assertEquals(got, back);
    JsonNode record = g.path("records").get(1);
    assertEquals("stage_metrics", record.path("name").asText());
    assertTrue(record.get("executorCpuTime").isBigInteger() || record.get("executorCpuTime").isLong());
    assertEquals(back.getExecutorCpuTimeNs(), record.get("executorCpuTime").bigIntegerValue().longValueExact());
    assertEquals(back.getShuffleWriteTimeNs(), record.get("shuffleWriteTime").bigIntegerValue().longValueExact());
  }

  @Test
  void uint64BatchSeqIsExactOnTheWire() throws IOException {
    // 2^64 - 1 as a uint64 is -1L in Java; the bytes are the same in every client (TS, Python, JVM).
    PublishRequest max = PublishRequest.newBuilder().setClientId("c").setBatchSeq(-1L).build();
    assertEquals("0a016310ffffffffffffffffff01", hex(max.toByteArray()));
    assertEquals("18446744073709551615", Long.toUnsignedString(PublishRequest.parseFrom(max.toByteArray()).getBatchSeq()));
    long above = (1L << 53) + 1; // 9007199254740993: not a double
    PublishRequest r = PublishRequest.newBuilder().setClientId("c").setBatchSeq(above).build();
    assertEquals(above, PublishRequest.parseFrom(r.toByteArray()).getBatchSeq());
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x", x & 0xff));
    }
    return s.toString();
  }
}
