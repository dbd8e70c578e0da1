// Task records (tasks_started, tasks_ended, task_metrics) written straight into JSON text.
//
// Task events are O(tasks): nearly all of the traffic in extended mode. Building objects
// and handing them to JSON.stringify costs about three times as much as concatenating
// the text directly, so the hot records are written here. The output parses to exactly
// what toSparkMeasureRecords() gives (a test holds them equal on every event kind).
// Spark's longs are bigints here and go into the text as `${bigint}`: their exact decimal
// digits, with no conversion through a double and no extra allocation.
import type { SparkEvent, TaskEnd, TaskInfo, TaskMetrics, TaskStart } from '@sparkwire/proto';
import { localityCode } from './sparkmeasure-json';

const q = JSON.stringify;

// The parts of sparkwire's fields that are the same for every event of an application, kept
// for the last one: events come in runs of one application, and the labels' JSON.stringify was
// a third of this file's time (the bench's profile).
let lastApp: { appName: string; appAttemptId: string; labels: Record<string, string>; before: string; after: string } | undefined;

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

function extras(ev: SparkEvent): string {
  let app = lastApp;
  if (!app || app.appName !== ev.appName || app.appAttemptId !== ev.appAttemptId || !sameLabels(app.labels, ev.labels)) {
    app = lastApp = {
      appName: ev.appName,
      appAttemptId: ev.appAttemptId,
      labels: ev.labels,
      before: `,"appName":${q(ev.appName)},"appAttemptId":${q(ev.appAttemptId)},"eventId":`,
      after: `,"labels":${q(ev.labels)}}`,
    };
  }
  return `${app.before}${q(ev.eventId)},"eventTimeMs":${ev.eventTimeMs}${app.after}`;
}

function head(name: string, ev: SparkEvent, stageId: number, info: TaskInfo): string {
  return `{"name":"${name}","appId":${q(ev.appId)},"epochMillis":${ev.emittedTimeMs || ev.eventTimeMs},"taskId":${info.taskId},"attemptNumber":${info.attemptNumber},"stageId":${stageId},"launchTime":${info.launchTimeMs}`;
}

export function taskStartJson(ev: SparkEvent, v: TaskStart): string[] {
  return [`${head('tasks_started', ev, v.stageId, v.info!)},"stageAttemptId":${v.stageAttemptId}${extras(ev)}`];
}

export function taskEndJson(ev: SparkEvent, v: TaskEnd): string[] {
  const info = v.info!;
  const tail = extras(ev);
  const ended = `${head('tasks_ended', ev, v.stageId, info)},"finishTime":${info.finishTimeMs},"stageAttemptId":${v.stageAttemptId}${tail}`;
  const successful = v.reason === 'Success' || (!info.failed && !info.killed);
  let m = `${head('task_metrics', ev, v.stageId, info)},"finishTime":${info.finishTimeMs},"failed":${info.failed},"speculative":${info.speculative},"killed":${info.killed},"finished":${info.finishTimeMs !== 0n},"successful":${successful},"executorId":${q(info.executorId)},"duration":${info.finishTimeMs !== 0n ? info.finishTimeMs - info.launchTimeMs : 0},"host":${q(info.host)},"taskLocality":${localityCode(info.locality)}`;
  if (v.metrics) m += metricsJson(v.metrics);
  m += `,"stageAttemptId":${v.stageAttemptId},"taskType":${q(v.taskType)},"index":${info.index},"partitionId":${info.partitionId},"endReason":${q(v.reason)}`;
  if (v.reasonMessage) m += `,"endReasonMessage":${q(v.reasonMessage)}`;
  return [ended, m + tail];
}

// sparkMeasure's task metrics: the stage metrics minus shuffleRemoteBytesReadToDisk, plus diskBytesSpilled.
function metricsJson(m: TaskMetrics): string {
  return (
    `,"executorRunTime":${m.executorRunTimeMs},"executorCpuTime":${m.executorCpuTimeNs},"executorDeserializeCpuTime":${m.executorDeserializeCpuTimeNs}` +
    `,"executorDeserializeTime":${m.executorDeserializeTimeMs},"jvmGCTime":${m.jvmGcTimeMs},"memoryBytesSpilled":${m.memoryBytesSpilled}` +
    `,"peakExecutionMemory":${m.peakExecutionMemory},"resultSerializationTime":${m.resultSerializationTimeMs},"resultSize":${m.resultSize}` +
    `,"bytesRead":${m.bytesRead},"recordsRead":${m.recordsRead},"bytesWritten":${m.bytesWritten},"recordsWritten":${m.recordsWritten}` +
    `,"shuffleTotalBytesRead":${m.shuffleTotalBytesRead},"shuffleRemoteBytesRead":${m.shuffleRemoteBytesRead},"shuffleLocalBytesRead":${m.shuffleLocalBytesRead}` +
    `,"shuffleTotalBlocksFetched":${m.shuffleTotalBlocksFetched},"shuffleLocalBlocksFetched":${m.shuffleLocalBlocksFetched}` +
    `,"shuffleRemoteBlocksFetched":${m.shuffleRemoteBlocksFetched},"shuffleRecordsRead":${m.shuffleRecordsRead},"shuffleFetchWaitTime":${m.shuffleFetchWaitTimeMs}` +
    `,"shuffleBytesWritten":${m.shuffleBytesWritten},"shuffleRecordsWritten":${m.shuffleRecordsWritten},"shuffleWriteTime":${m.shuffleWriteTimeNs}` +
    `,"diskBytesSpilled":${m.diskBytesSpilled}`
  );
}
