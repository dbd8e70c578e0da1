package io.sparkwire.spark;

import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.apache.spark.TaskEndReason;
import org.apache.spark.TaskState$;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.scheduler.TaskLocality$;

/** Builds real Spark listener objects for tests. */
final class SparkObjects {
  private SparkObjects() {}

  /**
   * An immutable List: a collection.Seq (what Spark's Seq parameters are on Scala 2.12) and an
   * immutable.Seq (Scala 2.13). JavaConverters exists on both (deprecated on 2.13).
   */
  @SafeVarargs
  @SuppressWarnings("deprecation")
  static <T> scala.collection.immutable.List<T> seq(T... xs) {
    List<T> l = Arrays.asList(xs);
    return scala.collection.JavaConverters.asScalaBuffer(l).toList();
  }

  @SuppressWarnings("unchecked")
  static <T> scala.Option<T> some(T v) {
    return (scala.Option<T>) scala.Option.apply(v);
  }

  static <T> scala.Option<T> none() {
    return scala.Option.empty();
  }

  @SuppressWarnings("unchecked")
  static <K, V> scala.collection.immutable.Map<K, V> emptyMap() {
    return (scala.collection.immutable.Map<K, V>) scala.collection.immutable.Map$.MODULE$.empty();
  }

  @SuppressWarnings("unchecked")
  static scala.collection.immutable.Set<String> emptySet() {
    return (scala.collection.immutable.Set<String>) (Object) scala.collection.immutable.Set$.MODULE$
        .empty();
  }

  static TaskInfo taskInfo(long taskId, String locality, long launch) {
    scala.Enumeration.Value loc = TaskLocality$.MODULE$.withName(locality);
    return new TaskInfo(taskId, 3, 1, 7, launch, "exec-2", "host-a", loc, true);
  }

  static TaskInfo finished(TaskInfo t, String state, long finish) {
    t.markFinished(TaskState$.MODULE$.withName(state), finish);
    return t;
  }

  static TaskMetrics metrics() {
    TaskMetrics m = new TaskMetrics();
    m.setExecutorRunTime(1001);
    m.setExecutorCpuTime(2_000_002);
    m.setExecutorDeserializeTime(1003);
    m.setExecutorDeserializeCpuTime(4_000_004);
    m.setJvmGCTime(1005);
    m.incMemoryBytesSpilled(1006);
    m.incDiskBytesSpilled(1007);
    m.setPeakExecutionMemory(1008);
    m.setResultSerializationTime(1009);
    m.setResultSize(1010);
    m.inputMetrics().setBytesRead(1011);
    m.inputMetrics().setRecordsRead(1012);
    m.outputMetrics().setBytesWritten(1013);
    m.outputMetrics().setRecordsWritten(1014);
    m.shuffleReadMetrics().setRemoteBytesRead(1016);
    m.shuffleReadMetrics().setRemoteBytesReadToDisk(1017);
    m.shuffleReadMetrics().setLocalBytesRead(1018);
    m.shuffleReadMetrics().setLocalBlocksFetched(20);
    m.shuffleReadMetrics().setRemoteBlocksFetched(21);
    m.shuffleReadMetrics().setRecordsRead(1022);
    m.shuffleReadMetrics().setFetchWaitTime(1023);
    m.shuffleWriteMetrics().incBytesWritten(1024);
    m.shuffleWriteMetrics().incRecordsWritten(1025);
    m.shuffleWriteMetrics().incWriteTime(26_000_026);
    return m;
  }

  static StageInfo stage(int id, int attempt, TaskMetrics m, Integer... parents) {
    return new StageInfo(id, attempt, "map at Job.scala:12", 200, seq(), seq((Object[]) parents),
        "details", m, seq(), none(), 0, false, 0);
  }

  static Properties jobProps(String sqlId, String group, String description) {
    Properties p = new Properties();
    if (sqlId != null) {
      p.setProperty("spark.sql.execution.id", sqlId);
    }
    if (group != null) {
      p.setProperty("spark.jobGroup.id", group);
    }
    if (description != null) {
      p.setProperty("spark.job.description", description);
    }
    return p;
  }

  static SparkListenerTaskEnd taskEnd(long taskId, TaskEndReason reason, TaskMetrics m) {
    TaskInfo t = taskInfo(taskId, "PROCESS_LOCAL", 1_000);
    finished(t, reason instanceof org.apache.spark.Success$ ? "FINISHED" : "FAILED", 2_000);
    return new SparkListenerTaskEnd(5, 0, "ResultTask", reason, t, null, m);
  }
}
