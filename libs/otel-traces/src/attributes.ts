// Span names and the `spark.*` attribute scheme (docs/observability.md lists them all).
import type { AttributeValue } from '@opentelemetry/api';
import type { TaskMetrics } from '@sparkwire/proto';

/** Span names are fixed and low-cardinality; everything variable is an attribute. */
export const SPAN_NAMES = {
  application: 'spark.application',
  sql: 'spark.sql.execution',
  job: 'spark.job',
  stage: 'spark.stage',
  task: 'spark.task',
  streaming_query: 'spark.streaming.query',
  streaming_batch: 'spark.streaming.batch',
} as const;

export const A = {
  appId: 'spark.app.id',
  appName: 'spark.app.name',
  appAttemptId: 'spark.app.attempt_id',
  sparkUser: 'spark.user',
  sparkVersion: 'spark.version',
  exitCode: 'spark.app.exit_code',
  jobsSucceeded: 'spark.app.jobs.succeeded',
  jobsFailed: 'spark.app.jobs.failed',
  stagesCompleted: 'spark.app.stages.completed',
  stagesFailed: 'spark.app.stages.failed',
  tasksTotal: 'spark.app.tasks.total',
  tasksFailed: 'spark.app.tasks.failed',
  tasksKilled: 'spark.app.tasks.killed',
  executorsFailed: 'spark.app.executors.failed',
  executorsKilled: 'spark.app.executors.killed',

  sqlExecutionId: 'spark.sql.execution_id',
  sqlRootExecutionId: 'spark.sql.root_execution_id',
  sqlDescription: 'spark.sql.description',

  jobId: 'spark.job.id',
  jobGroup: 'spark.job.group',
  jobDescription: 'spark.job.description',
  jobStageIds: 'spark.job.stage_ids',
  jobResult: 'spark.job.result',
  // Spark Connect (listener on the Connect server): who the job ran for
  connectSessionId: 'spark.connect.session_id',
  connectOperationId: 'spark.connect.operation_id',
  connectUserId: 'spark.connect.user_id',
  jobTags: 'spark.job.tags',

  stageId: 'spark.stage.id',
  stageAttempt: 'spark.stage.attempt',
  stageName: 'spark.stage.name',
  stageNumTasks: 'spark.stage.num_tasks',
  stageParentIds: 'spark.stage.parent_ids',

  taskId: 'spark.task.id',
  taskIndex: 'spark.task.index',
  taskAttempt: 'spark.task.attempt',
  taskPartition: 'spark.task.partition',
  taskType: 'spark.task.type',
  taskLocality: 'spark.task.locality',
  taskSpeculative: 'spark.task.speculative',
  taskEndReason: 'spark.task.end_reason',
  taskKilled: 'spark.task.killed',
  executorId: 'spark.executor.id',
  executorHost: 'spark.executor.host',

  queryId: 'spark.streaming.query.id',
  queryRunId: 'spark.streaming.query.run_id',
  queryName: 'spark.streaming.query.name',
  batchId: 'spark.streaming.batch.id',
  batchDurationMs: 'spark.streaming.batch.duration_ms',
  numInputRows: 'spark.streaming.num_input_rows',
  inputRowsPerSecond: 'spark.streaming.input_rows_per_second',
  processedRowsPerSecond: 'spark.streaming.processed_rows_per_second',
  sinkDescription: 'spark.streaming.sink.description',
  sinkNumOutputRows: 'spark.streaming.sink.num_output_rows',
  stateRowsTotal: 'spark.streaming.state.rows_total',
  stateMemoryBytes: 'spark.streaming.state.memory_used_bytes',
  watermark: 'spark.streaming.event_time.watermark',

  sourceDescription: 'spark.streaming.source.description',
  sourceStartOffset: 'spark.streaming.source.start_offset',
  sourceEndOffset: 'spark.streaming.source.end_offset',
  sourceLatestOffset: 'spark.streaming.source.latest_offset',
  sourceNumInputRows: 'spark.streaming.source.num_input_rows',
  sourceInputRowsPerSecond: 'spark.streaming.source.input_rows_per_second',
  sourceProcessedRowsPerSecond: 'spark.streaming.source.processed_rows_per_second',

  incomplete: 'spark.span.incomplete',
  closeReason: 'spark.span.close_reason',
} as const;

/** Prefixes of attribute families: spark.conf.<key without "spark.">, spark.label.<key>, ... */
export const PREFIX = {
  conf: 'spark.conf.',
  label: 'spark.label.',
  metrics: 'spark.metrics.',
  streamingDuration: 'spark.streaming.duration_ms.',
  sourceMetrics: 'spark.streaming.source.metrics.',
} as const;

export const EVENT_NAMES = {
  executorAdded: 'spark.executor.added',
  executorRemoved: 'spark.executor.removed',
  streamingSource: 'spark.streaming.source',
} as const;

/** Why a span was closed without its end event. */
export type CloseReason = 'application_end' | 'timeout' | 'evicted' | 'sidecar_shutdown' | 'start_not_seen';

export function snakeCase(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const metricKeys = new Map<string, string>();

/**
 * A Spark long (int64) as an attribute value. OpenTelemetry attributes have no 64-bit integer
 * type in JavaScript (a number is a double), so a long stays exact: a number while it is a safe
 * integer (|v| <= 2^53 - 1, every realistic count), its decimal string beyond that (a summed
 * CPU time in ns can pass 2^53), never a rounded number.
 */
export function longAttr(v: bigint): number | string;
export function longAttr(v: bigint | undefined): number | string | undefined;
export function longAttr(v: bigint | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : `${v}`;
}

/** spark.metrics.<events.proto field name> for every TaskMetrics value (exact, see longAttr). */
export function metricAttributes(m: TaskMetrics | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  if (!m) return out;
  for (const k in m) {
    const v = m[k as keyof TaskMetrics];
    if (typeof v !== 'bigint') continue;
    let name = metricKeys.get(k);
    if (name === undefined) metricKeys.set(k, (name = `${PREFIX.metrics}${snakeCase(k)}`));
    out[name] = longAttr(v);
  }
  return out;
}

export function labelAttributes(labels: Record<string, string> | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[`${PREFIX.label}${k}`] = v;
  return out;
}

export function confAttributes(conf: Record<string, string> | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(conf ?? {})) out[`${PREFIX.conf}${k.replace(/^spark\./, '')}`] = v;
  return out;
}
