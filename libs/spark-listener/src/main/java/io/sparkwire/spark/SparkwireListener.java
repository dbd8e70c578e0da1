package io.sparkwire.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.SparkConf;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.TaskKilled;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerApplicationStart;
import org.apache.spark.scheduler.SparkListenerBlockUpdated;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageExecutorMetrics;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskGettingResult;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.sparkwire.proto.v1.SparkEvent;

/**
 * Streams Spark listener events to the sparkwire sidecar.
 *
 * <pre>
 *   --conf spark.extraListeners=io.sparkwire.spark.SparkwireListener
 * </pre>
 *
 * <p>Every callback copies what it needs out of Spark's objects, offers the result to a bounded
 * buffer without blocking (dropping and counting when full) and returns; a separate daemon thread
 * sends. Every callback catches Throwable: nothing here can fail or stall Spark's listener bus.
 * The constructor never connects the network and never throws.
 */
public class SparkwireListener extends SparkListener {
  private static final Logger LOG = LoggerFactory.getLogger(SparkwireListener.class);
  /** At application end, wait at most this long when the sidecar never answered at all. */
  static final long FLUSH_CAP_NEVER_CONNECTED_MS = 2_000;

  private final SparkwireClient client;
  private final EventMapper.Totals totals = new EventMapper.Totals();
  /** stage id to the (latest) active job containing it, for StageSubmitted/Completed.job_id. */
  private final Map<Integer, Integer> stageToJob = new ConcurrentHashMap<>();
  private final Map<Integer, int[]> jobStages = new ConcurrentHashMap<>();
  // Spark Connect context of running jobs (from the job start's tags), copied onto the job end.
  private final Map<Integer, io.sparkwire.proto.v1.ConnectContext> jobConnect =
      new ConcurrentHashMap<>();
  private final Map<String, Boolean> loggedFailures = new ConcurrentHashMap<>();
  private final String sparkVersion;

  public SparkwireListener(SparkConf conf) {
    SparkwireClient c = null;
    try {
      c = ClientRegistry.acquire(ClientRegistry.toMap(conf));
      if (c != null) {
        c.busListenerAttached = true;
      } else if (SparkLine.check() == null) {
        LOG.info("sparkwire: disabled (spark.sparkwire.enabled=false)");
      }
    } catch (Throwable t) {
      LOG.warn("sparkwire: listener disabled, could not start: {}", t.toString());
      c = null;
    }
    this.client = c;
    this.sparkVersion = sparkVersion();
  }

  /** For tests: a listener feeding the given client. */
  SparkwireListener(SparkwireClient client) {
    this.client = client;
    if (client != null) {
      client.busListenerAttached = true;
    }
    this.sparkVersion = sparkVersion();
  }

  SparkwireClient client() {
    return client;
  }

  EventMapper.Totals totals() {
    return totals;
  }

  // ------------------------------------------------------------------ application

  @Override
  public void onApplicationStart(SparkListenerApplicationStart e) {
    if (client == null) {
      return;
    }
    try {
      totals.startTimeMs = e.time();
      String attempt = EventMapper.optString(e.appAttemptId());
      client.setApp(EventMapper.optString(e.appId()), e.appName(), attempt == null ? "" : attempt);
      if (client.hasRoom()) {
        client.emit(EventMapper.applicationStart(e, sparkVersion, client.config.traceparent,
            client.config.sparkConfigs));
      }
    } catch (Throwable t) {
      failed("onApplicationStart", t);
    }
  }

  @Override
  public void onApplicationEnd(SparkListenerApplicationEnd e) {
    if (client == null) {
      return;
    }
    try {
      client.applicationEnding = true;
      long flushMs = client.config.flushTimeoutMs;
      SparkEvent.Builder b = EventMapper.applicationEnd(e, totals, client.config.sparkConfigs,
          System.currentTimeMillis());
      client.emitWaiting(b, Math.min(1_000, flushMs));
      if (!client.sender.everAcked()) {
        flushMs = Math.min(flushMs, FLUSH_CAP_NEVER_CONNECTED_MS);
      }
      client.flushAndClose(flushMs);
    } catch (Throwable t) {
      failed("onApplicationEnd", t);
      try {
        client.close(false);
      } catch (Throwable ignored) {
        // nothing more to do
      }
    }
  }

  // ------------------------------------------------------------------ jobs

  @Override
  public void onJobStart(SparkListenerJobStart e) {
    if (client == null) {
      return;
    }
    try {
      int[] stages = EventMapper.stageIds(e);
      jobStages.put(e.jobId(), stages);
      for (int s : stages) {
        stageToJob.put(s, e.jobId());
      }
      SparkEvent.Builder start = EventMapper.jobStart(e, stages);
      if (start.getJobStart().hasConnect()) {
        jobConnect.put(e.jobId(), start.getJobStart().getConnect());
      }
      if (client.hasRoom()) {
        client.emit(start);
      }
    } catch (Throwable t) {
      failed("onJobStart", t);
    }
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd e) {
    if (client == null) {
      return;
    }
    try {
      totals.jobsCompleted++;
      if (EventMapper.jobSucceeded(e.jobResult())) {
        totals.jobsSucceeded++;
      } else {
        totals.jobsFailed++;
      }
      int[] stages = jobStages.remove(e.jobId());
      if (stages != null) {
        for (int s : stages) {
          stageToJob.remove(s, e.jobId());
        }
      }
      io.sparkwire.proto.v1.ConnectContext connect = jobConnect.remove(e.jobId());
      if (client.hasRoom()) {
        SparkEvent.Builder end = EventMapper.jobEnd(e);
        if (connect != null) {
          end.getJobEndBuilder().setConnect(connect);
        }
        client.emit(end);
      }
    } catch (Throwable t) {
      failed("onJobEnd", t);
    }
  }

  // ------------------------------------------------------------------ stages

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted e) {
    if (client == null) {
      return;
    }
    try {
      if (client.hasRoom()) {
        Integer job = stageToJob.get(e.stageInfo().stageId());
        client.emit(EventMapper.stageSubmitted(e, job, System.currentTimeMillis()));
      }
    } catch (Throwable t) {
      failed("onStageSubmitted", t);
    }
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted e) {
    if (client == null) {
      return;
    }
    try {
      totals.stagesCompleted++;
      if (e.stageInfo().failureReason().isDefined()) {
        totals.stagesFailed++;
      } else {
        totals.stagesSucceeded++;
      }
      if (client.hasRoom()) {
        Integer job = stageToJob.get(e.stageInfo().stageId());
        client.emit(EventMapper.stageCompleted(e, job, System.currentTimeMillis()));
      }
    } catch (Throwable t) {
      failed("onStageCompleted", t);
    }
  }

  // ------------------------------------------------------------------ tasks

  @Override
  public void onTaskStart(SparkListenerTaskStart e) {
    if (client == null) {
      return;
    }
    try {
      if (!client.taskEventsEnabled()) {
        client.taskEventsSkipped.increment();
        return;
      }
      if (client.hasRoom()) {
        client.emit(EventMapper.taskStart(e, System.currentTimeMillis()));
      }
    } catch (Throwable t) {
      failed("onTaskStart", t);
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    if (client == null) {
      return;
    }
    try {
      // counted in every mode: ApplicationEnd carries the totals
      totals.tasks++;
      Object reason = e.reason();
      if (reason instanceof TaskKilled) {
        totals.tasksKilled++;
      } else if (reason instanceof TaskFailedReason) {
        totals.tasksFailed++;
      }
      if (!client.taskEventsEnabled()) {
        client.taskEventsSkipped.increment();
        return;
      }
      if (client.hasRoom()) {
        client.emit(EventMapper.taskEnd(e, System.currentTimeMillis()));
      }
    } catch (Throwable t) {
      failed("onTaskEnd", t);
    }
  }

  // ------------------------------------------------------------------ executors

  @Override
  public void onExecutorAdded(SparkListenerExecutorAdded e) {
    if (client == null) {
      return;
    }
    try {
      if (client.hasRoom()) {
        client.emit(EventMapper.executorAdded(e));
      }
    } catch (Throwable t) {
      failed("onExecutorAdded", t);
    }
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
    if (client == null) {
      return;
    }
    try {
      String reason = e.reason();
      if (reason != null && reason.toLowerCase(java.util.Locale.ROOT).contains("kill")) {
        totals.executorsKilled++;
      } else {
        totals.executorsFailed++;
      }
      if (client.hasRoom()) {
        client.emit(EventMapper.executorRemoved(e));
      }
    } catch (Throwable t) {
      failed("onExecutorRemoved", t);
    }
  }

  // ------------------------------------------------------------------ SQL and streaming

  @Override
  public void onOtherEvent(SparkListenerEvent event) {
    if (client == null || event == null) {
      return;
    }
    try {
      String name = event.getClass().getName();
      SparkEvent.Builder b;
      if (SqlEvents.START.equals(name)) {
        if (!client.hasRoom()) {
          return;
        }
        b = SqlEvents.start(event, System.currentTimeMillis());
      } else if (SqlEvents.END.equals(name)) {
        if (!client.hasRoom()) {
          return;
        }
        b = SqlEvents.end(event, System.currentTimeMillis());
      } else if (StreamingEvents.isStreamingEvent(name)) {
        if (!client.hasRoom()) {
          return;
        }
        b = StreamingEvents.map(event, System.currentTimeMillis());
      } else if (name.startsWith(ConnectEvents.PREFIX) && ConnectEvents.isConnectEvent(name)) {
        if (!client.hasRoom()) {
          return;
        }
        b = ConnectEvents.map(event, System.currentTimeMillis());
      } else {
        return;
      }
      if (b != null) {
        client.emit(b);
      }
    } catch (Throwable t) {
      failed("onOtherEvent", t);
    }
  }

  // High-volume events nobody here needs: ignored without any work.

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {}

  @Override
  public void onBlockUpdated(SparkListenerBlockUpdated e) {}

  @Override
  public void onStageExecutorMetrics(SparkListenerStageExecutorMetrics e) {}

  @Override
  public void onTaskGettingResult(SparkListenerTaskGettingResult e) {}

  // ------------------------------------------------------------------ helpers

  private void failed(String callback, Throwable t) {
    if (loggedFailures.putIfAbsent(callback, Boolean.TRUE) == null) {
      LOG.warn("sparkwire: {} failed; the event is skipped (further failures of this callback "
          + "are logged at debug level)", callback, t);
    } else {
      LOG.debug("sparkwire: {} failed", callback, t);
    }
  }

  static String sparkVersion() {
    String[][] candidates = {
        {"org.apache.spark.package$", "SPARK_VERSION"},
        {"org.apache.spark.SparkBuildInfo$", "spark_version"},
    };
    for (String[] c : candidates) {
      try {
        Class<?> k = Class.forName(c[0], true, SparkwireListener.class.getClassLoader());
        Object module = k.getField("MODULE$").get(null);
        Object v = k.getMethod(c[1]).invoke(module);
        if (v != null) {
          return v.toString();
        }
      } catch (Throwable ignored) {
        // try the next one
      }
    }
    return "";
  }
}
