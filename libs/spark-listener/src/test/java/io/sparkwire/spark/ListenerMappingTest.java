package io.sparkwire.spark;

import static io.sparkwire.spark.SparkObjects.emptyMap;
import static io.sparkwire.spark.SparkObjects.none;
import static io.sparkwire.spark.SparkObjects.seq;
import static io.sparkwire.spark.SparkObjects.some;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.spark.Success$;
import org.apache.spark.TaskKilled;
import org.apache.spark.TaskResultLost$;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.JobFailed;
import org.apache.spark.scheduler.JobSucceeded$;
import org.apache.spark.scheduler.SparkListenerApplicationStart;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.scheduler.cluster.ExecutorInfo;
import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.sparkwire.proto.v1.JobResult;
import io.sparkwire.proto.v1.SparkEvent;
import io.sparkwire.proto.v1.TaskLocality;

class ListenerMappingTest {
  private SparkwireClient client;

  private SparkwireListener listener(String... kv) {
    String[] all = new String[kv.length + 6];
    all[0] = "spark.app.id";
    all[1] = "app-conf";
    all[2] = "spark.app.name";
    all[3] = "orders";
    all[4] = "spark.sparkwire.labels.team";
    all[5] = "data";
    System.arraycopy(kv, 0, all, 6, kv.length);
    client = TestClients.offline(all);
    return new SparkwireListener(client);
  }

  @AfterEach
  void close() {
    if (client != null) {
      client.close(true);
    }
  }

  private SparkEvent only() {
    List<SparkEvent> events = TestClients.drain(client);
    assertEquals(1, events.size(), events.toString());
    return events.get(0);
  }

  @Test
  void applicationStartAndEnvelope() {
    SparkwireListener l = listener("spark.sparkwire.traceparent", "00-abc-def-01",
        "spark.executor.memory", "2g");
    long before = System.currentTimeMillis();
    l.onApplicationStart(new SparkListenerApplicationStart("orders-job", some("app-123"), 1_000L,
        "alice", some("2"), none(), none()));
    SparkEvent e = only();
    assertEquals("app-123", e.getAppId());
    assertEquals("orders-job", e.getAppName());
    assertEquals("2", e.getAppAttemptId());
    assertEquals(1_000L, e.getEventTimeMs());
    assertTrue(e.getEmittedTimeMs() >= before);
    assertEquals(Map.of("team", "data"), e.getLabelsMap());
    assertTrue(e.getEventId().startsWith(client.clientId + "-"), e.getEventId());
    assertTrue(e.hasApplicationStart());
    assertEquals(1_000L, e.getApplicationStart().getStartTimeMs());
    assertEquals("alice", e.getApplicationStart().getSparkUser());
    assertEquals(System.getProperty("sparkwire.test.sparkVersion"),
        e.getApplicationStart().getSparkVersion());
    assertEquals("00-abc-def-01", e.getApplicationStart().getTraceparent());
    assertEquals(Map.of("spark.executor.memory", "2g", "spark.app.name", "orders"),
        e.getApplicationStart().getSparkConfigsMap());

    // the app id from the event sticks for later events
    l.onExecutorRemoved(new SparkListenerExecutorRemoved(5L, "1", "lost"));
    assertEquals("app-123", only().getAppId());
  }

  @Test
  void eventIdsAreUnique() {
    SparkwireListener l = listener();
    for (int i = 0; i < 100; i++) {
      l.onExecutorRemoved(new SparkListenerExecutorRemoved(i, "e" + i, "x"));
    }
    Set<String> ids = new HashSet<>();
    for (SparkEvent e : TestClients.drain(client)) {
      assertTrue(ids.add(e.getEventId()));
    }
    assertEquals(100, ids.size());
  }

  @Test
  void jobStartAndEnd() {
    SparkwireListener l = listener();
    StageInfo s1 = SparkObjects.stage(11, 0, null);
    StageInfo s2 = SparkObjects.stage(12, 0, null, 11);
    l.onJobStart(new SparkListenerJobStart(4, 2_000L, seq(s1, s2),
        SparkObjects.jobProps("17", "nightly", "load orders")));
    SparkEvent e = only();
    assertEquals(2_000L, e.getEventTimeMs());
    assertEquals(4, e.getJobStart().getJobId());
    assertEquals(List.of(11, 12), e.getJobStart().getStageIdsList());
    assertTrue(e.getJobStart().hasSqlExecutionId());
    assertEquals(17L, e.getJobStart().getSqlExecutionId());
    assertEquals("nightly", e.getJobStart().getJobGroup());
    assertEquals("load orders", e.getJobStart().getDescription());

    l.onJobStart(new SparkListenerJobStart(5, 2_001L, seq(), SparkObjects.jobProps(null, null,
        null)));
    e = only();
    assertFalse(e.getJobStart().hasSqlExecutionId(), "absent, not 0");
    assertEquals("", e.getJobStart().getJobGroup());

    l.onJobStart(new SparkListenerJobStart(6, 2_002L, seq(), null));
    assertFalse(only().getJobStart().hasSqlExecutionId());

    // stages learn their job
    l.onStageSubmitted(new SparkListenerStageSubmitted(SparkObjects.stage(12, 0, null), null));
    e = only();
    assertTrue(e.getStageSubmitted().hasJobId());
    assertEquals(4, e.getStageSubmitted().getJobId());

    l.onJobEnd(new SparkListenerJobEnd(4, 3_000L, JobSucceeded$.MODULE$));
    e = only();
    assertEquals(3_000L, e.getEventTimeMs());
    assertEquals(4, e.getJobEnd().getJobId());
    assertEquals(JobResult.JOB_RESULT_SUCCEEDED, e.getJobEnd().getResult());
    assertEquals("", e.getJobEnd().getFailureReason());

    l.onJobEnd(new SparkListenerJobEnd(5, 3_001L, new JobFailed(new RuntimeException("boom"))));
    e = only();
    assertEquals(JobResult.JOB_RESULT_FAILED, e.getJobEnd().getResult());
    assertEquals("boom", e.getJobEnd().getFailureReason());

    // after the job ended, its stages no longer map to it
    l.onStageSubmitted(new SparkListenerStageSubmitted(SparkObjects.stage(12, 1, null), null));
    assertFalse(only().getStageSubmitted().hasJobId());
  }

  @Test
  void stageSubmittedAndCompleted() {
    SparkwireListener l = listener();
    StageInfo s = SparkObjects.stage(7, 1, null, 3, 4);
    long before = System.currentTimeMillis();
    l.onStageSubmitted(new SparkListenerStageSubmitted(s, null));
    SparkEvent e = only();
    io.sparkwire.proto.v1.StageInfo si = e.getStageSubmitted().getStage();
    assertEquals(7, si.getStageId());
    assertEquals(1, si.getAttemptNumber());
    assertEquals("map at Job.scala:12", si.getName());
    assertEquals(200, si.getNumTasks());
    assertEquals(List.of(3, 4), si.getParentIdsList());
    assertFalse(si.hasSubmissionTimeMs(), "None stays absent");
    assertFalse(si.hasCompletionTimeMs());
    assertEquals("", si.getFailureReason());
    assertTrue(e.getEventTimeMs() >= before, "no submission time: now");
    assertFalse(e.getStageSubmitted().hasJobId());

    TaskMetrics m = SparkObjects.metrics();
    StageInfo done = SparkObjects.stage(7, 1, m);
    done.submissionTime_$eq(some((Object) 10_000L));
    done.completionTime_$eq(some((Object) 12_500L));
    l.onStageCompleted(new SparkListenerStageCompleted(done));
    e = only();
    si = e.getStageCompleted().getStage();
    assertEquals(10_000L, si.getSubmissionTimeMs());
    assertEquals(12_500L, si.getCompletionTimeMs());
    assertEquals(12_500L, e.getEventTimeMs());
    assertTrue(e.getStageCompleted().hasMetrics());
    assertEquals(1001, e.getStageCompleted().getMetrics().getExecutorRunTimeMs());

    StageInfo failed = SparkObjects.stage(8, 0, null);
    failed.stageFailed("FetchFailed from exec 3");
    l.onStageCompleted(new SparkListenerStageCompleted(failed));
    e = only();
    assertEquals("FetchFailed from exec 3", e.getStageCompleted().getStage().getFailureReason());
    assertTrue(e.getStageCompleted().getStage().hasCompletionTimeMs());
    assertFalse(e.getStageCompleted().hasMetrics(), "no TaskMetrics: absent");

    assertEquals(2, l.totals().stagesCompleted);
    assertEquals(1, l.totals().stagesSucceeded);
    assertEquals(1, l.totals().stagesFailed);
  }

  @Test
  void taskMetricsEveryField() {
    io.sparkwire.proto.v1.TaskMetrics p = EventMapper.metrics(SparkObjects.metrics());
    assertEquals(1001, p.getExecutorRunTimeMs());
    assertEquals(2_000_002, p.getExecutorCpuTimeNs());
    assertEquals(1003, p.getExecutorDeserializeTimeMs());
    assertEquals(4_000_004, p.getExecutorDeserializeCpuTimeNs());
    assertEquals(1005, p.getJvmGcTimeMs());
    assertEquals(1006, p.getMemoryBytesSpilled());
    assertEquals(1007, p.getDiskBytesSpilled());
    assertEquals(1008, p.getPeakExecutionMemory());
    assertEquals(1009, p.getResultSerializationTimeMs());
    assertEquals(1010, p.getResultSize());
    assertEquals(1011, p.getBytesRead());
    assertEquals(1012, p.getRecordsRead());
    assertEquals(1013, p.getBytesWritten());
    assertEquals(1014, p.getRecordsWritten());
    assertEquals(1016 + 1018, p.getShuffleTotalBytesRead());
    assertEquals(1016, p.getShuffleRemoteBytesRead());
    assertEquals(1017, p.getShuffleRemoteBytesReadToDisk());
    assertEquals(1018, p.getShuffleLocalBytesRead());
    assertEquals(41, p.getShuffleTotalBlocksFetched());
    assertEquals(20, p.getShuffleLocalBlocksFetched());
    assertEquals(21, p.getShuffleRemoteBlocksFetched());
    assertEquals(1022, p.getShuffleRecordsRead());
    assertEquals(1023, p.getShuffleFetchWaitTimeMs());
    assertEquals(1024, p.getShuffleBytesWritten());
    assertEquals(1025, p.getShuffleRecordsWritten());
    assertEquals(26_000_026, p.getShuffleWriteTimeNs());
  }

  @Test
  void taskStartAndEndInExtendedMode() {
    SparkwireListener l = listener("spark.sparkwire.extended", "true");
    TaskInfo t = SparkObjects.taskInfo(42, "NODE_LOCAL", 5_000);
    l.onTaskStart(new SparkListenerTaskStart(9, 2, t));
    SparkEvent e = only();
    assertEquals(5_000, e.getEventTimeMs());
    assertEquals(9, e.getTaskStart().getStageId());
    assertEquals(2, e.getTaskStart().getStageAttemptId());
    io.sparkwire.proto.v1.TaskInfo ti = e.getTaskStart().getInfo();
    assertEquals(42, ti.getTaskId());
    assertEquals(3, ti.getIndex());
    assertEquals(1, ti.getAttemptNumber());
    assertEquals(7, ti.getPartitionId());
    assertEquals(5_000, ti.getLaunchTimeMs());
    assertEquals(0, ti.getFinishTimeMs(), "0 while the task runs");
    assertEquals("exec-2", ti.getExecutorId());
    assertEquals("host-a", ti.getHost());
    assertEquals(TaskLocality.TASK_LOCALITY_NODE_LOCAL, ti.getLocality());
    assertTrue(ti.getSpeculative());
    assertFalse(ti.getFailed());

    SparkObjects.finished(t, "FINISHED", 6_500);
    l.onTaskEnd(new SparkListenerTaskEnd(9, 2, "ShuffleMapTask", Success$.MODULE$, t, null,
        SparkObjects.metrics()));
    e = only();
    assertEquals(6_500, e.getEventTimeMs());
    assertEquals("ShuffleMapTask", e.getTaskEnd().getTaskType());
    assertEquals("Success", e.getTaskEnd().getReason());
    assertEquals("", e.getTaskEnd().getReasonMessage());
    assertEquals(6_500, e.getTaskEnd().getInfo().getFinishTimeMs());
    assertTrue(e.getTaskEnd().hasMetrics());
    assertEquals(1025, e.getTaskEnd().getMetrics().getShuffleRecordsWritten());

    // a failed task: Spark gives no metrics; the reason class name and message
    l.onTaskEnd(SparkObjects.taskEnd(43, TaskResultLost$.MODULE$, null));
    e = only();
    assertEquals("TaskResultLost", e.getTaskEnd().getReason());
    assertTrue(e.getTaskEnd().getReasonMessage().contains("result lost"),
        e.getTaskEnd().getReasonMessage());
    assertFalse(e.getTaskEnd().hasMetrics(), "null TaskMetrics stays absent");
    assertTrue(e.getTaskEnd().getInfo().getFailed());

    l.onTaskEnd(SparkObjects.taskEnd(44, new TaskKilled("stage cancelled", seq(), seq(), seq()),
        null));
    e = only();
    assertEquals("TaskKilled", e.getTaskEnd().getReason());
    assertTrue(e.getTaskEnd().getReasonMessage().contains("stage cancelled"));

    l.onTaskEnd(SparkObjects.taskEnd(45, new org.apache.spark.ExceptionFailure(
        new IllegalStateException("bad row"), seq()), null));
    e = only();
    assertEquals("ExceptionFailure", e.getTaskEnd().getReason());
    assertTrue(e.getTaskEnd().getReasonMessage().contains("bad row"));
    assertTrue(e.getTaskEnd().getReasonMessage().length() <= EventMapper.MAX_MESSAGE_CHARS + 3);

    assertEquals(4, l.totals().tasks);
    assertEquals(2, l.totals().tasksFailed);
    assertEquals(1, l.totals().tasksKilled);
  }

  @Test
  void localityMapping() {
    String[] spark = {"PROCESS_LOCAL", "NODE_LOCAL", "RACK_LOCAL", "NO_PREF", "ANY"};
    TaskLocality[] proto = {TaskLocality.TASK_LOCALITY_PROCESS_LOCAL,
        TaskLocality.TASK_LOCALITY_NODE_LOCAL, TaskLocality.TASK_LOCALITY_RACK_LOCAL,
        TaskLocality.TASK_LOCALITY_NO_PREF, TaskLocality.TASK_LOCALITY_ANY};
    for (int i = 0; i < spark.length; i++) {
      assertEquals(proto[i], EventMapper.taskInfo(SparkObjects.taskInfo(1, spark[i], 1))
          .getLocality());
    }
    assertEquals(TaskLocality.TASK_LOCALITY_UNSPECIFIED, EventMapper.locality(null));
  }

  @Test
  void stageLevelModeBuildsNoTaskEventsButCountsThem() {
    SparkwireListener l = listener(); // extended defaults to false
    for (int i = 0; i < 1000; i++) {
      TaskInfo t = SparkObjects.taskInfo(i, "ANY", 1);
      l.onTaskStart(new SparkListenerTaskStart(1, 0, t));
      l.onTaskEnd(SparkObjects.taskEnd(i, i % 10 == 0 ? TaskResultLost$.MODULE$
          : Success$.MODULE$, null));
    }
    assertEquals(0, client.queue.size());
    assertEquals(2000, client.taskEventsSkipped.sum());
    assertEquals(1000, l.totals().tasks);
    assertEquals(100, l.totals().tasksFailed);
    assertEquals(2000, client.stats().getTaskEventsSkipped());
  }

  @Test
  void executors() {
    SparkwireListener l = listener();
    l.onExecutorAdded(new SparkListenerExecutorAdded(7_000L, "3",
        new ExecutorInfo("host-b", 8, emptyMap())));
    SparkEvent e = only();
    assertEquals(7_000L, e.getEventTimeMs());
    assertEquals("3", e.getExecutorAdded().getExecutorId());
    assertEquals("host-b", e.getExecutorAdded().getHost());
    assertEquals(8, e.getExecutorAdded().getTotalCores());

    l.onExecutorRemoved(new SparkListenerExecutorRemoved(8_000L, "3", "Executor killed by driver."));
    e = only();
    assertEquals(8_000L, e.getEventTimeMs());
    assertEquals("Executor killed by driver.", e.getExecutorRemoved().getReason());
    l.onExecutorRemoved(new SparkListenerExecutorRemoved(8_001L, "4", "Container lost"));
    only();
    assertEquals(1, l.totals().executorsKilled);
    assertEquals(1, l.totals().executorsFailed);
  }

  @Test
  void sqlExecutions() {
    SparkwireListener l = listener();
    l.onOtherEvent(SparkTestCompat.sqlExecutionStart(3L, some((Object) 1L), "select 1",
        "details here", "== Physical Plan ==", 9_000L));
    SparkEvent e = only();
    assertEquals(9_000L, e.getEventTimeMs());
    assertEquals(3L, e.getSqlExecutionStart().getExecutionId());
    assertEquals("select 1", e.getSqlExecutionStart().getDescription());
    assertEquals("details here", e.getSqlExecutionStart().getDetails());
    assertTrue(e.getSqlExecutionStart().hasRootExecutionId());
    assertEquals(1L, e.getSqlExecutionStart().getRootExecutionId());

    l.onOtherEvent(SparkTestCompat.sqlExecutionStart(4L, none(), "d", "x", "p", 9_001L));
    assertFalse(only().getSqlExecutionStart().hasRootExecutionId());

    l.onOtherEvent(new SparkListenerSQLExecutionEnd(3L, 9_500L, none()));
    e = only();
    assertEquals(9_500L, e.getEventTimeMs());
    assertEquals(3L, e.getSqlExecutionEnd().getExecutionId());
    assertEquals("", e.getSqlExecutionEnd().getErrorMessage());

    l.onOtherEvent(new SparkListenerSQLExecutionEnd(4L, 9_600L, some("Division by zero")));
    assertEquals("Division by zero", only().getSqlExecutionEnd().getErrorMessage());

    // unrelated events are ignored
    l.onOtherEvent(new org.apache.spark.scheduler.SparkListenerLogStart("3.5"));
    assertEquals(0, client.queue.size());
  }

  @Test
  void applicationEndCarriesTotals() {
    SparkwireListener l = listener("spark.executor.cores", "4");
    l.onApplicationStart(new SparkListenerApplicationStart("a", some("app-9"), 100L, "u", none(),
        none(), none()));
    l.onJobEnd(new SparkListenerJobEnd(1, 1L, JobSucceeded$.MODULE$));
    l.onJobEnd(new SparkListenerJobEnd(2, 1L, JobSucceeded$.MODULE$));
    l.onJobEnd(new SparkListenerJobEnd(3, 1L, new JobFailed(new Exception("x"))));
    l.onExecutorRemoved(new SparkListenerExecutorRemoved(1L, "1", "Executor killed by driver."));
    l.onTaskEnd(SparkObjects.taskEnd(1, Success$.MODULE$, null));
    l.onTaskEnd(SparkObjects.taskEnd(2, TaskResultLost$.MODULE$, null));
    TestClients.drain(client);
    l.onApplicationEnd(SparkTestCompat.applicationEnd(900L, 1));
    assertTrue(client.isClosed());
    SparkEvent e = only();
    assertEquals(900L, e.getEventTimeMs());
    assertEquals("app-9", e.getAppId());
    var end = e.getApplicationEnd();
    assertEquals(100L, end.getStartTimeMs());
    assertEquals(900L, end.getCompletionTimeMs());
    // Spark 4+: the driver's exit code; Spark 3.5's event has none
    assertEquals(SparkTestCompat.APP_END_HAS_EXIT_CODE, end.hasExitCode());
    assertEquals(SparkTestCompat.APP_END_HAS_EXIT_CODE ? 1 : 0, end.getExitCode());
    assertEquals(3, end.getTotalJobsCompleted());
    assertEquals(2, end.getSucceededJobsCount());
    assertEquals(1, end.getFailedJobsCount());
    assertEquals(1, end.getExecutorsKilled());
    assertEquals(0, end.getExecutorsFailed());
    assertEquals(2, end.getTotalTaskCount());
    assertEquals(1, end.getNumTaskFailed());
    assertEquals(0, end.getNumTaskKilled());
    assertEquals(Map.of("spark.executor.cores", "4", "spark.app.name", "orders"),
        end.getSparkConfigsMap());

    // events after close are dropped, not thrown
    l.onJobEnd(new SparkListenerJobEnd(4, 1L, JobSucceeded$.MODULE$));
    assertEquals(0, client.queue.size());
  }

  @Test
  void applicationEndWithoutExitCodeLeavesItAbsent() {
    SparkwireListener l = listener();
    l.onApplicationEnd(SparkTestCompat.applicationEnd(900L, null));
    assertFalse(only().getApplicationEnd().hasExitCode());
  }

  @Test
  void callbacksNeverThrow() {
    SparkwireListener l = listener("spark.sparkwire.extended", "true");
    l.onTaskEnd(new SparkListenerTaskEnd(1, 0, null, null, null, null, null));
    l.onTaskStart(new SparkListenerTaskStart(1, 0, null));
    l.onStageSubmitted(new SparkListenerStageSubmitted(null, null));
    l.onStageCompleted(new SparkListenerStageCompleted(null));
    l.onJobStart(new SparkListenerJobStart(1, 1L, seq(), null));
    l.onJobEnd(new SparkListenerJobEnd(1, 1L, null));
    l.onExecutorAdded(new SparkListenerExecutorAdded(1L, null, null));
    l.onOtherEvent(null);
    l.onApplicationStart(new SparkListenerApplicationStart(null, none(), 1L, null, none(),
        none(), none()));
  }

  @Test
  void streamingEventsFromTheBus() {
    SparkwireListener l = listener();
    UUID id = UUID.randomUUID();
    UUID run = UUID.randomUUID();
    l.onOtherEvent(new org.apache.spark.sql.streaming.StreamingQueryListener.QueryStartedEvent(
        id, run, "orders-stream", "2024-01-02T03:04:05.678Z"));
    SparkEvent e = only();
    assertEquals(id.toString(), e.getStreamingQueryStarted().getId());
    assertEquals(run.toString(), e.getStreamingQueryStarted().getRunId());
    assertEquals("orders-stream", e.getStreamingQueryStarted().getName());
    assertEquals(java.time.Instant.parse("2024-01-02T03:04:05.678Z").toEpochMilli(),
        e.getEventTimeMs());

    l.onOtherEvent(new org.apache.spark.sql.streaming.StreamingQueryListener.QueryProgressEvent(
        StreamingMappingTest.progress(id, run)));
    assertTrue(only().hasStreamingProgress());

    l.onOtherEvent(new org.apache.spark.sql.streaming.StreamingQueryListener.QueryTerminatedEvent(
        id, run, some("boom")));
    e = only();
    assertEquals("boom", e.getStreamingQueryTerminated().getException());

    // the idle event is ignored
    l.onOtherEvent(new org.apache.spark.sql.streaming.StreamingQueryListener.QueryIdleEvent(
        id, run, "2024-01-02T03:04:05.678Z"));
    assertEquals(0, client.queue.size());
  }
}
