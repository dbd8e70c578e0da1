// Over 400 lines on purpose: one mapping per core listener callback, each field's copy rule in one place (SQL, streaming and Connect have their own classes).
package io.sparkwire.spark;

import java.util.Map;
import java.util.Properties;

import org.apache.spark.TaskEndReason;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.JobFailed;
import org.apache.spark.scheduler.JobResult;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerApplicationStart;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;

import io.sparkwire.proto.v1.ApplicationEnd;
import io.sparkwire.proto.v1.ApplicationStart;
import io.sparkwire.proto.v1.ExecutorAdded;
import io.sparkwire.proto.v1.ExecutorRemoved;
import io.sparkwire.proto.v1.JobEnd;
import io.sparkwire.proto.v1.JobStart;
import io.sparkwire.proto.v1.SparkEvent;
import io.sparkwire.proto.v1.StageCompleted;
import io.sparkwire.proto.v1.StageInfo;
import io.sparkwire.proto.v1.StageSubmitted;
import io.sparkwire.proto.v1.TaskEnd;
import io.sparkwire.proto.v1.TaskLocality;
import io.sparkwire.proto.v1.TaskStart;

/**
 * Copies Spark listener events into sparkwire protos, on the calling (listener) thread: Spark's
 * TaskInfo and StageInfo are mutable and must never reach another thread. Pure functions of the
 * event (plus {@code now} where Spark gives no time), so tests can check every field.
 *
 * <p>Options that are None stay absent (proto3 {@code optional}), never 0.
 */
final class EventMapper {
  private EventMapper() {}

  static final int MAX_MESSAGE_CHARS = 4_096;
  static final int MAX_TEXT_CHARS = 16_384;

  static final String PROP_SQL_EXECUTION_ID = "spark.sql.execution.id";
  static final String PROP_JOB_GROUP = "spark.jobGroup.id";
  static final String PROP_JOB_DESCRIPTION = "spark.job.description";

  // ------------------------------------------------------------------ application

  static SparkEvent.Builder applicationStart(SparkListenerApplicationStart e, String sparkVersion,
      String traceparent, Map<String, String> sparkConfigs) {
    ApplicationStart.Builder b = ApplicationStart.newBuilder()
        .setStartTimeMs(e.time())
        .setSparkUser(nz(e.sparkUser()))
        .setSparkVersion(nz(sparkVersion))
        .setTraceparent(nz(traceparent))
        .putAllSparkConfigs(sparkConfigs);
    return SparkEvent.newBuilder().setEventTimeMs(e.time()).setApplicationStart(b);
  }

  /** Totals the listener counted over the run. */
  static final class Totals {
    long startTimeMs;
    long executorsFailed;
    long executorsKilled;
    long jobsCompleted;
    long jobsSucceeded;
    long jobsFailed;
    long stagesCompleted;
    long stagesSucceeded;
    long stagesFailed;
    long tasks;
    long tasksFailed;
    long tasksKilled;
  }

  static SparkEvent.Builder applicationEnd(SparkListenerApplicationEnd e, Totals t,
      Map<String, String> sparkConfigs, long now) {
    long time = e.time() > 0 ? e.time() : now;
    ApplicationEnd.Builder b = ApplicationEnd.newBuilder()
        .setStartTimeMs(t.startTimeMs)
        .setCompletionTimeMs(time)
        .setExecutorsFailed(t.executorsFailed)
        .setExecutorsKilled(t.executorsKilled)
        .setTotalJobsCompleted(t.jobsCompleted)
        .setSucceededJobsCount(t.jobsSucceeded)
        .setFailedJobsCount(t.jobsFailed)
        .setNumStagesCompleted(t.stagesCompleted)
        .setNumSucceededStages(t.stagesSucceeded)
        .setNumFailedStages(t.stagesFailed)
        .setTotalTaskCount(t.tasks)
        .setNumTaskFailed(t.tasksFailed)
        .setNumTaskKilled(t.tasksKilled)
        .putAllSparkConfigs(sparkConfigs);
    Long exit = SparkCompat.exitCode(e); // Spark 4+ only
    if (exit != null) {
      b.setExitCode(exit.intValue());
    }
    return SparkEvent.newBuilder().setEventTimeMs(time).setApplicationEnd(b);
  }

  // ------------------------------------------------------------------ jobs

  static SparkEvent.Builder jobStart(SparkListenerJobStart e, int[] stageIds) {
    JobStart.Builder b = JobStart.newBuilder().setJobId(e.jobId());
    for (int id : stageIds) {
      b.addStageIds(id);
    }
    Properties p = e.properties();
    if (p != null) {
      String sqlId = p.getProperty(PROP_SQL_EXECUTION_ID);
      if (sqlId != null) {
        try {
          b.setSqlExecutionId(Long.parseLong(sqlId.trim()));
        } catch (NumberFormatException ignored) {
          // not a SQL execution id: leave it absent
        }
      }
      b.setJobGroup(nz(p.getProperty(PROP_JOB_GROUP)));
      b.setDescription(truncate(p.getProperty(PROP_JOB_DESCRIPTION), MAX_TEXT_CHARS));
      io.sparkwire.proto.v1.ConnectContext connect = ConnectContexts.fromProperties(p);
      if (connect != null) {
        b.setConnect(connect);
      }
    }
    return SparkEvent.newBuilder().setEventTimeMs(e.time()).setJobStart(b);
  }

  /** The stage ids of a job start (scala Seq[Int]). */
  static int[] stageIds(SparkListenerJobStart e) {
    // collection.Seq: Spark's Seq[Int] is a collection.Seq on Scala 2.12, immutable.Seq on 2.13
    scala.collection.Seq<Object> ids = e.stageIds();
    int[] out = new int[ids.size()];
    scala.collection.Iterator<Object> it = ids.iterator();
    int i = 0;
    while (it.hasNext() && i < out.length) {
      out[i++] = ((Number) it.next()).intValue();
    }
    return out;
  }

  static boolean jobSucceeded(JobResult r) {
    return r != null && r.getClass().getName().equals("org.apache.spark.scheduler.JobSucceeded$");
  }

  static SparkEvent.Builder jobEnd(SparkListenerJobEnd e) {
    JobEnd.Builder b = JobEnd.newBuilder().setJobId(e.jobId());
    JobResult r = e.jobResult();
    if (jobSucceeded(r)) {
      b.setResult(io.sparkwire.proto.v1.JobResult.JOB_RESULT_SUCCEEDED);
    } else if (r instanceof JobFailed) {
      b.setResult(io.sparkwire.proto.v1.JobResult.JOB_RESULT_FAILED);
      Exception ex = ((JobFailed) r).exception();
      b.setFailureReason(truncate(describe(ex), MAX_MESSAGE_CHARS));
    } else if (r != null) {
      b.setResult(io.sparkwire.proto.v1.JobResult.JOB_RESULT_FAILED);
      b.setFailureReason(truncate(r.toString(), MAX_MESSAGE_CHARS));
    }
    return SparkEvent.newBuilder().setEventTimeMs(e.time()).setJobEnd(b);
  }

  // ------------------------------------------------------------------ stages

  static StageInfo.Builder stageInfo(org.apache.spark.scheduler.StageInfo s) {
    StageInfo.Builder b = StageInfo.newBuilder()
        .setStageId(s.stageId())
        .setAttemptNumber(s.attemptNumber())
        .setName(nz(s.name()))
        .setNumTasks(s.numTasks());
    Long submitted = optLong(s.submissionTime());
    if (submitted != null) {
      b.setSubmissionTimeMs(submitted);
    }
    Long completed = optLong(s.completionTime());
    if (completed != null) {
      b.setCompletionTimeMs(completed);
    }
    String failure = optString(s.failureReason());
    if (failure != null) {
      b.setFailureReason(truncate(failure, MAX_MESSAGE_CHARS));
    }
    scala.collection.Iterator<Object> it = s.parentIds().iterator();
    while (it.hasNext()) {
      b.addParentIds(((Number) it.next()).intValue());
    }
    return b;
  }

  static SparkEvent.Builder stageSubmitted(SparkListenerStageSubmitted e, Integer jobId, long now) {
    org.apache.spark.scheduler.StageInfo s = e.stageInfo();
    StageSubmitted.Builder b = StageSubmitted.newBuilder().setStage(stageInfo(s));
    if (jobId != null) {
      b.setJobId(jobId);
    }
    Long submitted = optLong(s.submissionTime());
    return SparkEvent.newBuilder()
        .setEventTimeMs(submitted != null ? submitted : now)
        .setStageSubmitted(b);
  }

  static SparkEvent.Builder stageCompleted(SparkListenerStageCompleted e, Integer jobId, long now) {
    org.apache.spark.scheduler.StageInfo s = e.stageInfo();
    StageCompleted.Builder b = StageCompleted.newBuilder().setStage(stageInfo(s));
    TaskMetrics m = s.taskMetrics();
    if (m != null) {
      b.setMetrics(metrics(m));
    }
    if (jobId != null) {
      b.setJobId(jobId);
    }
    Long completed = optLong(s.completionTime());
    return SparkEvent.newBuilder()
        .setEventTimeMs(completed != null ? completed : now)
        .setStageCompleted(b);
  }

  // ------------------------------------------------------------------ tasks

  static io.sparkwire.proto.v1.TaskMetrics metrics(TaskMetrics m) {
    org.apache.spark.executor.ShuffleReadMetrics sr = m.shuffleReadMetrics();
    org.apache.spark.executor.ShuffleWriteMetrics sw = m.shuffleWriteMetrics();
    return io.sparkwire.proto.v1.TaskMetrics.newBuilder()
        .setExecutorRunTimeMs(m.executorRunTime())
        .setExecutorCpuTimeNs(m.executorCpuTime())
        .setExecutorDeserializeTimeMs(m.executorDeserializeTime())
        .setExecutorDeserializeCpuTimeNs(m.executorDeserializeCpuTime())
        .setJvmGcTimeMs(m.jvmGCTime())
        .setMemoryBytesSpilled(m.memoryBytesSpilled())
        .setDiskBytesSpilled(m.diskBytesSpilled())
        .setPeakExecutionMemory(m.peakExecutionMemory())
        .setResultSerializationTimeMs(m.resultSerializationTime())
        .setResultSize(m.resultSize())
        .setBytesRead(m.inputMetrics().bytesRead())
        .setRecordsRead(m.inputMetrics().recordsRead())
        .setBytesWritten(m.outputMetrics().bytesWritten())
        .setRecordsWritten(m.outputMetrics().recordsWritten())
        .setShuffleTotalBytesRead(sr.totalBytesRead())
        .setShuffleRemoteBytesRead(sr.remoteBytesRead())
        .setShuffleRemoteBytesReadToDisk(sr.remoteBytesReadToDisk())
        .setShuffleLocalBytesRead(sr.localBytesRead())
        .setShuffleTotalBlocksFetched(sr.totalBlocksFetched())
        .setShuffleLocalBlocksFetched(sr.localBlocksFetched())
        .setShuffleRemoteBlocksFetched(sr.remoteBlocksFetched())
        .setShuffleRecordsRead(sr.recordsRead())
        .setShuffleFetchWaitTimeMs(sr.fetchWaitTime())
        .setShuffleBytesWritten(sw.bytesWritten())
        .setShuffleRecordsWritten(sw.recordsWritten())
        .setShuffleWriteTimeNs(sw.writeTime())
        .build();
  }

  static TaskLocality locality(scala.Enumeration.Value v) {
    if (v == null) {
      return TaskLocality.TASK_LOCALITY_UNSPECIFIED;
    }
    switch (v.toString()) {
      case "PROCESS_LOCAL":
        return TaskLocality.TASK_LOCALITY_PROCESS_LOCAL;
      case "NODE_LOCAL":
        return TaskLocality.TASK_LOCALITY_NODE_LOCAL;
      case "RACK_LOCAL":
        return TaskLocality.TASK_LOCALITY_RACK_LOCAL;
      case "NO_PREF":
        return TaskLocality.TASK_LOCALITY_NO_PREF;
      case "ANY":
        return TaskLocality.TASK_LOCALITY_ANY;
      default:
        return TaskLocality.TASK_LOCALITY_UNSPECIFIED;
    }
  }

  static io.sparkwire.proto.v1.TaskInfo taskInfo(TaskInfo t) {
    return io.sparkwire.proto.v1.TaskInfo.newBuilder()
        .setTaskId(t.taskId())
        .setIndex(t.index())
        .setAttemptNumber(t.attemptNumber())
        .setPartitionId(t.partitionId())
        .setLaunchTimeMs(t.launchTime())
        .setFinishTimeMs(t.finishTime())
        .setExecutorId(nz(t.executorId()))
        .setHost(nz(t.host()))
        .setLocality(locality(t.taskLocality()))
        .setSpeculative(t.speculative())
        .setFailed(t.failed())
        .setKilled(t.killed())
        .build();
  }

  static SparkEvent.Builder taskStart(SparkListenerTaskStart e, long now) {
    TaskInfo t = e.taskInfo();
    TaskStart.Builder b = TaskStart.newBuilder()
        .setStageId(e.stageId())
        .setStageAttemptId(e.stageAttemptId());
    long time = now;
    if (t != null) {
      b.setInfo(taskInfo(t));
      if (t.launchTime() > 0) {
        time = t.launchTime();
      }
    }
    return SparkEvent.newBuilder().setEventTimeMs(time).setTaskStart(b);
  }

  /** "Success", "ExceptionFailure", "TaskKilled", ...: the class's simple name without "$". */
  static String reasonName(TaskEndReason r) {
    if (r == null) {
      return "";
    }
    String n = r.getClass().getSimpleName();
    if (n.isEmpty()) {
      n = r.getClass().getName();
      n = n.substring(n.lastIndexOf('.') + 1);
    }
    return n.endsWith("$") ? n.substring(0, n.length() - 1) : n;
  }

  static String reasonMessage(TaskEndReason r) {
    if (r instanceof TaskFailedReason) {
      return truncate(((TaskFailedReason) r).toErrorString(), MAX_MESSAGE_CHARS);
    }
    return "";
  }

  static SparkEvent.Builder taskEnd(SparkListenerTaskEnd e, long now) {
    TaskInfo t = e.taskInfo();
    TaskEnd.Builder b = TaskEnd.newBuilder()
        .setStageId(e.stageId())
        .setStageAttemptId(e.stageAttemptId())
        .setTaskType(nz(e.taskType()))
        .setReason(reasonName(e.reason()))
        .setReasonMessage(reasonMessage(e.reason()));
    long time = now;
    if (t != null) {
      b.setInfo(taskInfo(t));
      if (t.finishTime() > 0) {
        time = t.finishTime();
      }
    }
    TaskMetrics m = e.taskMetrics();
    if (m != null) {
      b.setMetrics(metrics(m));
    }
    return SparkEvent.newBuilder().setEventTimeMs(time).setTaskEnd(b);
  }

  // ------------------------------------------------------------------ executors

  static SparkEvent.Builder executorAdded(SparkListenerExecutorAdded e) {
    ExecutorAdded.Builder b = ExecutorAdded.newBuilder().setExecutorId(nz(e.executorId()));
    if (e.executorInfo() != null) {
      b.setHost(nz(e.executorInfo().executorHost())).setTotalCores(e.executorInfo().totalCores());
    }
    return SparkEvent.newBuilder().setEventTimeMs(e.time()).setExecutorAdded(b);
  }

  static SparkEvent.Builder executorRemoved(SparkListenerExecutorRemoved e) {
    ExecutorRemoved.Builder b = ExecutorRemoved.newBuilder()
        .setExecutorId(nz(e.executorId()))
        .setReason(truncate(e.reason(), MAX_MESSAGE_CHARS));
    return SparkEvent.newBuilder().setEventTimeMs(e.time()).setExecutorRemoved(b);
  }

  // ------------------------------------------------------------------ helpers

  static String nz(String s) {
    return s == null ? "" : s;
  }

  static String truncate(String s, int max) {
    if (s == null) {
      return "";
    }
    if (s.length() <= max) {
      return s;
    }
    int end = max;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "...";
  }

  static String describe(Throwable t) {
    if (t == null) {
      return "";
    }
    String m = t.getMessage();
    return m == null || m.isEmpty() ? t.getClass().getName() : m;
  }

  static Long optLong(scala.Option<?> o) {
    if (o == null || o.isEmpty()) {
      return null;
    }
    Object v = o.get();
    return v instanceof Number ? ((Number) v).longValue() : null;
  }

  static String optString(scala.Option<?> o) {
    if (o == null || o.isEmpty()) {
      return null;
    }
    Object v = o.get();
    return v == null ? null : v.toString();
  }
}
