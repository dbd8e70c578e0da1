// Every metric sparkwire exports, in one place: the instruments are created from these
// entries, docs/observability.md lists them, and the dashboard test checks against them.
//
// Names are OpenTelemetry instrument names; on the Prometheus endpoint dots become
// underscores and counters get "_total" (this exporter adds no unit suffix, so names
// carry their unit where Prometheus convention wants one: _seconds, _bytes).

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricInfo {
  name: string;
  type: MetricType;
  unit: string;
  description: string;
  /** Attribute (Prometheus label) names; APP_LABELS stands for spark.app.name + spark.label.<key>. */
  labels: string[];
  /** Explicit histogram bucket boundaries. */
  buckets?: number[];
}

/** The labels every Spark metric carries: the application name and the user labels (never ids). */
export const APP_LABELS = ['spark.app.name', 'spark.label.<key>'];

const SECONDS_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const BATCH_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// The semantic conventions' advice for messaging.client.operation.duration.
const MESSAGING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const BATCH_SIZE_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const m = (name: string, type: MetricType, unit: string, labels: string[], description: string, buckets?: number[]): MetricInfo => ({ name, type, unit, labels, description, buckets });

const MESSAGING_ATTRS = ['messaging.system', 'messaging.operation.name', 'messaging.operation.type'];
const RPC_ATTRS = ['rpc.system', 'rpc.service', 'rpc.method'];
const QUERY = [...APP_LABELS, 'spark.streaming.query.name'];

export const SIDECAR_METRICS = {
  eventsReceived: m('sparkwire.events.received', 'counter', '{event}', ['event_type'], 'Events in batches that passed validation, by type.'),
  eventsPublished: m('sparkwire.events.published', 'counter', '{event}', ['event_type'], 'Events the sink confirmed, by type.'),
  eventsDuplicate: m('sparkwire.events.duplicates', 'counter', '{event}', ['event_type'], 'Events not published again because they already were (resends), by type ("batch_resend" for whole batches).'),
  eventsFiltered: m('sparkwire.events.filtered', 'counter', '{event}', ['event_type'], 'Events dropped on purpose: task events while extended mode is off.'),
  eventsRejected: m('sparkwire.events.rejected', 'counter', '{event}', ['status'], 'Events of refused batches, by gRPC status (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE).'),
  batchesPublished: m('sparkwire.batches.published', 'counter', '{batch}', [], 'Batches published to the sink.'),
  batchesReusedSeq: m('sparkwire.batches.reused_seq', 'counter', '{batch}', [], 'Batches that reused a batch_seq of their client with other event ids: published as new batches (their events deduplicated one by one), never answered as resends.'),
  recordsWritten: m('sparkwire.records.written', 'counter', '{record}', [], 'Records written to the sink (an event can make several).'),
  batchSize: m('sparkwire.batch.size', 'histogram', '{event}', [], 'Events published per batch (after dedupe and filtering).', BATCH_SIZE_BUCKETS),
  inflightBatches: m('sparkwire.pipeline.inflight_batches', 'gauge', '{batch}', [], 'Batches waiting for the sink: the pipeline queue depth.'),
  openStreams: m('sparkwire.grpc.open_streams', 'gauge', '{stream}', RPC_ATTRS, 'Connected clients: open ListenerService/Stream calls.'),
  authFailures: m('sparkwire.grpc.auth_failures', 'counter', '{call}', [], 'Calls refused for a missing or wrong token.'),
  malformedFrames: m('sparkwire.grpc.malformed_frames', 'counter', '{call}', [], 'Requests that were not a valid PublishRequest.'),
  clientsReporting: m('sparkwire.clients.reporting', 'gauge', '{client}', ['client_kind'], 'Clients that have sent their counters.'),
  clientDropped: m('sparkwire.client.dropped_events', 'counter', '{event}', ['client_kind', 'reason'], 'Events the clients report they dropped (reason buffer_full or sidecar_unavailable).'),
  sparkDropped: m('sparkwire.client.spark_dropped_events', 'counter', '{event}', ['client_kind'], "Spark's own listener-bus drops (numDroppedEvents) as the clients report them."),
  clientTaskSkipped: m('sparkwire.client.task_events_skipped', 'counter', '{event}', ['client_kind'], 'Task events the clients did not build because stage-level mode does not want them.'),
  observerErrors: m('sparkwire.observer.errors', 'counter', '{error}', ['observer'], 'Exceptions thrown by event observers (traces, metrics).'),
  sinkReady: m('sparkwire.sink.ready', 'gauge', '1', ['sink'], '1 while the sink (kafka or file) is reachable.'),
  spoolBytes: m('sparkwire.spool.bytes', 'gauge', 'By', [], 'Bytes of the durable spool on disk (Kafka sink).'),
  spoolPending: m('sparkwire.spool.pending_entries', 'gauge', '{batch}', [], 'Spooled batches not yet published to Kafka: the spool depth.'),
  spoolOldest: m('sparkwire.spool.oldest_pending_seconds', 'gauge', 's', [], 'Age of the oldest spooled batch not yet published (0 when none).'),
  spoolDrainer: m('sparkwire.spool.drainer_state', 'gauge', '1', ['state'], 'What the spool drainer does: 1 for the current one of idle, draining, reading_back, waiting_for_kafka, backing_off, stopped, 0 for the others.'),
  spoolPublishFailures: m('sparkwire.spool.publish_failures', 'counter', '{request}', [], 'Publish attempts of the spool drainer that failed (each is retried).'),
  spoolDeadLettered: m('sparkwire.spool.dead_letter.records', 'counter', '{record}', [], 'Records Kafka refused after they were acked (too large for a limit lowered later, invalid), set aside in the dead-letter store so the records behind them go on.'),
  spoolDeadLetterBytes: m('sparkwire.spool.dead_letter.bytes', 'gauge', 'By', [], 'Bytes in the dead-letter store now (sparkwire dead-letter list / redrive).'),
  eventsTruncated: m('sparkwire.events.truncated', 'counter', '{event}', ['event_type', 'field'], "Events whose free-text field was truncated (marked in the text) so that their record fits Kafka's limit, by type and field."),
  eventsOversize: m('sparkwire.events.oversize', 'counter', '{event}', ['event_type'], "Events too large for Kafka's limit even truncated: their batches were refused (INVALID_ARGUMENT)."),
  kafkaMaxMessageBytes: m('sparkwire.kafka.max_message_bytes', 'gauge', 'By', ['topic'], "The topic's max.message.bytes as last read from the broker (Kafka's default until read): requests and records are kept under it."),
  kafkaDuration: m('messaging.client.operation.duration', 'histogram', 's', MESSAGING_ATTRS, 'Kafka produce latency: one sample per produce request (semantic conventions).', MESSAGING_BUCKETS),
  kafkaSent: m('messaging.client.sent.messages', 'counter', '{message}', MESSAGING_ATTRS, 'Records produced to Kafka (semantic conventions).'),
  traceApps: m('sparkwire.trace.applications', 'gauge', '{application}', [], 'Applications the trace builder holds state for.'),
  traceOpenSpans: m('sparkwire.trace.open_spans', 'gauge', '{span}', ['span_kind'], 'Spans open in the trace builder (jobs, stages, SQL executions, streaming queries).'),
  traceSpans: m('sparkwire.trace.spans', 'counter', '{span}', ['span_kind'], 'Spans built, by kind.'),
  traceClosedEarly: m('sparkwire.trace.spans_closed_early', 'counter', '{span}', ['reason'], 'Spans closed without their end event (application_end, timeout, evicted, sidecar_shutdown, start_not_seen).'),
  traceSampledOut: m('sparkwire.trace.tasks_sampled_out', 'counter', '{span}', [], 'Successful task spans left out by otel.taskSampleRatio.'),
  traceExported: m('sparkwire.trace.spans_exported', 'counter', '{span}', ['result'], 'Spans the OTLP exporter delivered (result ok) or failed to (result failed).'),
  residentMemory: m('sparkwire.process.resident_memory_bytes', 'gauge', 'By', [], 'Resident set size of the sidecar process.'),
  heapUsed: m('sparkwire.process.heap_used_bytes', 'gauge', 'By', [], 'V8 heap in use by the sidecar process.'),
} as const;

export const SPARK_METRICS = {
  applications: m('spark.applications.running', 'gauge', '{application}', APP_LABELS, 'Applications that started and have not ended.'),
  executorsActive: m('spark.executors.active', 'gauge', '{executor}', APP_LABELS, 'Executors added and not removed.'),
  jobsCompleted: m('spark.jobs.completed', 'counter', '{job}', [...APP_LABELS, 'result'], 'Jobs ended, by result (succeeded, failed).'),
  stagesCompleted: m('spark.stages.completed', 'counter', '{stage}', [...APP_LABELS, 'status'], 'Stages completed, by status (succeeded, failed).'),
  stageDuration: m('spark.stage.duration_seconds', 'histogram', 's', [...APP_LABELS, 'status'], 'Stage duration, submission to completion (Spark times).', SECONDS_BUCKETS),
  runTime: m('spark.executor.run_time_seconds', 'counter', 's', APP_LABELS, 'Executor run time of completed stages (TaskMetrics.executorRunTime).'),
  cpuTime: m('spark.executor.cpu_time_seconds', 'counter', 's', APP_LABELS, 'Executor CPU time of completed stages (TaskMetrics.executorCpuTime).'),
  gcTime: m('spark.jvm.gc_time_seconds', 'counter', 's', APP_LABELS, 'JVM GC time of completed stages (TaskMetrics.jvmGCTime).'),
  shuffleRead: m('spark.shuffle.read_bytes', 'counter', 'By', APP_LABELS, 'Shuffle bytes read (local + remote).'),
  shuffleWrite: m('spark.shuffle.write_bytes', 'counter', 'By', APP_LABELS, 'Shuffle bytes written.'),
  spillMemory: m('spark.spill.memory_bytes', 'counter', 'By', APP_LABELS, 'Bytes spilled, in-memory size.'),
  spillDisk: m('spark.spill.disk_bytes', 'counter', 'By', APP_LABELS, 'Bytes spilled, on-disk size.'),
  inputBytes: m('spark.input.bytes', 'counter', 'By', APP_LABELS, 'Bytes read from sources.'),
  inputRecords: m('spark.input.records', 'counter', '{record}', APP_LABELS, 'Records read from sources.'),
  outputBytes: m('spark.output.bytes', 'counter', 'By', APP_LABELS, 'Bytes written to outputs.'),
  outputRecords: m('spark.output.records', 'counter', '{record}', APP_LABELS, 'Records written to outputs.'),
  tasksFailed: m('spark.tasks.failed', 'counter', '{task}', APP_LABELS, 'Failed task attempts (from TaskEnd in extended mode, else from ApplicationEnd totals).'),
  streamingInputRows: m('spark.streaming.input_rows', 'counter', '{row}', QUERY, 'Rows read by micro-batches (numInputRows).'),
  streamingBatchInputRows: m('spark.streaming.batch.input_rows', 'gauge', '{row}', QUERY, 'numInputRows of the latest micro-batch.'),
  streamingInputRate: m('spark.streaming.input_rows_per_second', 'gauge', '{row}/s', QUERY, 'inputRowsPerSecond of the latest micro-batch.'),
  streamingProcessedRate: m('spark.streaming.processed_rows_per_second', 'gauge', '{row}/s', QUERY, 'processedRowsPerSecond of the latest micro-batch.'),
  streamingBatchDuration: m('spark.streaming.batch.duration_seconds', 'histogram', 's', QUERY, 'Micro-batch duration (batchDuration).', BATCH_SECONDS_BUCKETS),
  streamingLatestBatch: m('spark.streaming.batch.latest_id', 'gauge', '{batch}', QUERY, 'Id of the latest micro-batch.'),
  offsetsBehind: m('spark.streaming.source.offsets_behind_latest', 'gauge', '{offset}', [...QUERY, 'spark.streaming.source', 'stat'], 'Offsets behind the latest available, per source, as min / max / avg over partitions (Kafka source metrics).'),
} as const;

const TP = ['group', 'topic', 'partition'];

/** Offsets of Spark streaming jobs in Kafka (libs/offsets, docs/offsets.md): the lag monitor's figures. */
export const OFFSETS_METRICS = {
  lag: m('sparkwire.offsets.lag', 'gauge', '{record}', TP, 'Records the group has yet to read: log-end offset minus committed offset (from the log start without a commit).'),
  lagSeconds: m('sparkwire.offsets.lag_seconds', 'gauge', 's', TP, 'How long ago the next record to read was appended, interpolated from sampled log-end offsets (-1 until known).'),
  committed: m('sparkwire.offsets.committed_offset', 'gauge', '{offset}', TP, 'The group\'s committed offset (-1 without one).'),
  logEnd: m('sparkwire.offsets.log_end_offset', 'gauge', '{offset}', ['topic', 'partition'], 'Log-end offset (high watermark) of the partition.'),
  groupLag: m('sparkwire.offsets.group_lag', 'gauge', '{record}', ['group'], 'Lag in records summed over the group\'s partitions.'),
  groupMaxLagSeconds: m('sparkwire.offsets.group_max_lag_seconds', 'gauge', 's', ['group'], 'The largest lag in seconds among the group\'s partitions.'),
  groupStatus: m('sparkwire.offsets.group_status', 'gauge', '1', ['group', 'status'], 'The group\'s status: 1 for the current one of OK, LAGGING, STALLED, STOPPED, 0 for the others.'),
  commits: m('sparkwire.offsets.commits', 'counter', '{commit}', ['result'], 'Commit calls (RPC and commit from progress) by result: committed, already_committed, or the refusing status (FAILED_PRECONDITION, UNAVAILABLE, ...).'),
} as const;

export const ALL_METRICS: MetricInfo[] = [...Object.values(SIDECAR_METRICS), ...Object.values(SPARK_METRICS), ...Object.values(OFFSETS_METRICS)];

/** The name a scrape shows: dots to underscores, "_total" on counters. */
export function prometheusName(info: Pick<MetricInfo, 'name' | 'type'>): string {
  const base = info.name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_+/g, '_');
  return info.type === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
}

/** The label a scrape shows for an attribute. */
export function prometheusLabel(attribute: string): string {
  return attribute.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_');
}
