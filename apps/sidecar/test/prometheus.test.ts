// Metrics end to end: a real broker, the sidecar as its own process, a synthetic
// application through the gRPC API, then the real /metrics endpoint scraped over HTTP and
// checked by name, type, labels and value against the events that were sent. Also checks
// that the Grafana dashboard only uses metrics the sidecar exports.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { ISSUE_SPEC, ListenerClient, type OtlpReceiver, type SidecarProcess, spawnSidecar, startOtlpReceiver, syntheticApplication, waitFor } from '@sparkwire/testkit';
import { ALL_METRICS, PROMETHEUS_CONTENT_TYPE, prometheusName } from '@sparkwire/otel-metrics';
import * as grpc from '@grpc/grpc-js';
import { JobResult, OffsetsServiceClient, type SparkEvent, type TaskMetrics } from '@sparkwire/proto';
import { metricsAddress, scrape, sendApp, type Scrape } from './otel-helpers';

let broker: Broker;
let receiver: OtlpReceiver;
let sidecar: SidecarProcess;
let address: string;

const LABELS = { spark_app_name: 'synthetic-etl', spark_label_team: 'data-platform', spark_label_pipeline: 'synthetic' };

/** The issue's application; its last job fails on its last stage; its streaming source is Kafka. */
function application(appId: string): SparkEvent[] {
  return syntheticApplication({ ...ISSUE_SPEC, appId, startMs: Date.now() - 3_600_000 }).map((e): SparkEvent => {
    const b = e.body!;
    if (b.$case === 'jobEnd' && b.value.jobId === 2) return { ...e, body: { ...b, value: { ...b.value, result: JobResult.JOB_RESULT_FAILED, failureReason: 'stage 9 failed' } } };
    if (b.$case === 'stageCompleted' && b.value.stage!.stageId === 9) return { ...e, body: { ...b, value: { ...b.value, stage: { ...b.value.stage!, failureReason: 'FetchFailed' } } } };
    if (b.$case === 'streamingProgress') {
      const behind = { minOffsetsBehindLatest: '0', maxOffsetsBehindLatest: String(10 * (Number(b.value.batchId) + 1)), avgOffsetsBehindLatest: '2.5' };
      const sources = [{ ...b.value.sources[0], description: 'KafkaV2[Subscribe[clicks]]', metrics: behind }];
      return { ...e, body: { ...b, value: { ...b.value, sources } } };
    }
    return e;
  });
}

const app1 = application('app-prom-1');
// A second run of the same application that is still going: no query termination, no executor removal, no end.
const app2 = application('app-prom-2').filter((e) => !['streamingQueryTerminated', 'executorRemoved', 'applicationEnd'].includes(e.body!.$case));
const bodies = <C extends NonNullable<SparkEvent['body']>['$case']>(events: SparkEvent[], c: C) =>
  events.flatMap((e) => (e.body?.$case === c ? [e.body.value as Extract<NonNullable<SparkEvent['body']>, { $case: C }>['value']] : []));
const stageSum = (events: SparkEvent[], f: (m: TaskMetrics) => bigint) => Number(bodies(events, 'stageCompleted').reduce((s, v) => s + f(v.metrics!), 0n));

beforeAll(async () => {
  [broker, receiver] = await Promise.all([startBroker(), startOtlpReceiver()]);
  sidecar = await spawnSidecar({
    args: ['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'prom-events', '--extended', '--metrics-port', '0', '--otel-traces-endpoint', receiver.grpcUrl, '--otel-traces-protocol', 'grpc', '--offsets-enabled', 'true', '--offsets-lag-poll-ms', '200'], env: { OTEL_BSP_SCHEDULE_DELAY: '100' } });
  await waitFor('kafka SERVING', async () => (await sidecar.health('sparkwire.kafka')) === 'SERVING');
  address = metricsAddress(sidecar);
});
afterAll(async () => {
  await sidecar?.stop();
  await Promise.all([broker?.stop(), receiver?.close()]);
});

describe('Prometheus endpoint of a running sidecar', () => {
  let before: Scrape;
  let after: Scrape;
  const batchSize = 250;

  it('serves the text format on the documented path, with sidecar metrics before any event', async () => {
    before = await scrape(address);
    expect(before.contentType).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(before.families.get('target_info')?.samples[0].labels.service_name).toBe('sparkwire');
    expect(before.value('sparkwire_sink_ready', { sink: 'kafka' })).toBe(1);
    expect(before.value('sparkwire_grpc_open_streams', { rpc_system: 'grpc', rpc_service: 'sparkwire.v1.ListenerService', rpc_method: 'Stream' })).toBe(0);
    expect(before.families.get('spark_stages_completed_total')).toBeUndefined();
    expect((await fetch(`http://${address}/nope`)).status).toBe(404);
  });

  it('counts what was sent: events, rejects, resends, client drops, Kafka latency, Spark and streaming figures', async () => {
    await sendApp(sidecar.address, app1, {
      clientId: 'client-1',
      batchSize,
      clientStats: { droppedBufferFull: 5n, droppedSidecarUnavailable: 2n, sparkDroppedEvents: 17n, eventsSent: BigInt(app1.length), taskEventsSkipped: 0n, clientKind: 'pyspark', clientVersion: '0.1.0' },
    });
    await sendApp(sidecar.address, app2, { clientId: 'client-2', batchSize });
    const client = new ListenerClient(sidecar.address);
    // A refused batch (3 events, one without an app id) and a resent one.
    await client.publish({ clientId: 'client-3', batchSeq: 1n, events: app1.slice(0, 3).map((e, i) => (i === 1 ? { ...e, appId: '' } : e)), clientStats: undefined }).catch(() => undefined);
    const resend = await client.publish({ clientId: 'client-1', batchSeq: 1n, events: app1.slice(0, batchSize), clientStats: undefined });
    expect(resend.duplicates).toBe(batchSize);
    client.close();
    await receiver.waitForSpans((s) => s.filter((x) => x.name === 'spark.application').length >= 1);
    // One offsets commit: the lag monitor follows its group, so the offsets metrics are exported too (docs/offsets.md).
    const offsets = new OffsetsServiceClient(sidecar.address, grpc.credentials.createInsecure());
    await new Promise((res, rej) =>
      offsets.commit({ group: 'prom-group', queryId: 'q', batchId: 0n, force: false, ranges: [{ topic: 'prom-events', partition: 0, fromOffset: 0n, untilOffset: 0n }] }, (e, r) => (e ? rej(e) : res(r))),
    );
    offsets.close();
    await waitFor('offsets metrics', async () => (await scrape(address)).families.has('sparkwire_offsets_group_lag'));
    // Acks come once batches are in the spool; Kafka gets them right after: wait for the sends.
    const deadline = Date.now() + 15_000;
    do after = await scrape(address);
    while (after.value('messaging_client_sent_messages_total', { messaging_system: 'kafka', messaging_operation_name: 'send', messaging_operation_type: 'send' }) !== after.value('sparkwire_records_written_total') && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 100))) === undefined);
    const s = after;
    const all = [...app1, ...app2];
    const count = (c: string) => all.filter((e) => e.body?.$case === c).length;

    // Types, as the catalog says.
    for (const info of ALL_METRICS) {
      const f = s.families.get(prometheusName(info));
      if (f) expect(f.type, f.name).toBe(info.type);
    }
    // Sidecar health.
    expect(s.value('sparkwire_events_received_total', { event_type: 'task_end' })).toBe(count('taskEnd'));
    expect(s.value('sparkwire_events_published_total', { event_type: 'task_end' })).toBe(count('taskEnd'));
    expect(s.value('sparkwire_events_published_total', { event_type: 'stage_completed' })).toBe(20);
    expect(s.value('sparkwire_events_rejected_total', { status: 'INVALID_ARGUMENT' })).toBe(3);
    expect(s.value('sparkwire_events_duplicates_total', { event_type: 'batch_resend' })).toBe(batchSize);
    expect(s.value('sparkwire_client_dropped_events_total', { client_kind: 'pyspark', reason: 'buffer_full' })).toBe(5);
    expect(s.value('sparkwire_client_dropped_events_total', { client_kind: 'pyspark', reason: 'sidecar_unavailable' })).toBe(2);
    expect(s.value('sparkwire_client_spark_dropped_events_total', { client_kind: 'pyspark' })).toBe(17);
    expect(s.value('sparkwire_clients_reporting', { client_kind: 'pyspark' })).toBe(1);
    const batchesSent = Math.ceil(app1.length / batchSize) + Math.ceil(app2.length / batchSize);
    expect(s.value('sparkwire_batches_published_total')).toBe(batchesSent);
    expect(s.value('sparkwire_batch_size_count')).toBe(batchesSent);
    expect(s.value('sparkwire_batch_size_sum')).toBe(all.length);
    expect(s.value('sparkwire_pipeline_inflight_batches')).toBe(0);
    // Kafka: one latency sample per produce request, records as the sink wrote them.
    const kafka = { messaging_system: 'kafka', messaging_operation_name: 'send', messaging_operation_type: 'send' };
    const produces = s.value('messaging_client_operation_duration_count', kafka)!;
    expect(produces).toBeGreaterThan(0);
    expect(produces).toBeLessThanOrEqual(batchesSent);
    expect(s.value('messaging_client_operation_duration_sum', kafka)).toBeGreaterThan(0);
    expect(s.value('messaging_client_operation_duration_bucket', { ...kafka, le: '+Inf' })).toBe(produces);
    expect(s.value('messaging_client_sent_messages_total', kafka)).toBe(s.value('sparkwire_records_written_total'));

    // Spark, labelled by application name and user labels; both runs add up.
    expect(s.value('spark_stages_completed_total', { ...LABELS, status: 'succeeded' })).toBe(18);
    expect(s.value('spark_stages_completed_total', { ...LABELS, status: 'failed' })).toBe(2);
    expect(s.value('spark_jobs_completed_total', { ...LABELS, result: 'succeeded' })).toBe(4);
    expect(s.value('spark_jobs_completed_total', { ...LABELS, result: 'failed' })).toBe(2);
    const durations = bodies(all, 'stageCompleted').map((v) => Number(v.stage!.completionTimeMs! - v.stage!.submissionTimeMs!) / 1000);
    const durationCount = (s.value('spark_stage_duration_seconds_count', { ...LABELS, status: 'succeeded' }) ?? 0) + (s.value('spark_stage_duration_seconds_count', { ...LABELS, status: 'failed' }) ?? 0);
    expect(durationCount).toBe(20);
    const durationSum = (s.value('spark_stage_duration_seconds_sum', { ...LABELS, status: 'succeeded' }) ?? 0) + (s.value('spark_stage_duration_seconds_sum', { ...LABELS, status: 'failed' }) ?? 0);
    expect(durationSum).toBeCloseTo(durations.reduce((a, b) => a + b), 6);
    expect(s.value('spark_executor_run_time_seconds_total', LABELS)).toBeCloseTo(stageSum(all, (m) => m.executorRunTimeMs) / 1000, 6);
    expect(s.value('spark_executor_cpu_time_seconds_total', LABELS)).toBeCloseTo(stageSum(all, (m) => m.executorCpuTimeNs) / 1e9, 6);
    expect(s.value('spark_jvm_gc_time_seconds_total', LABELS)).toBeCloseTo(stageSum(all, (m) => m.jvmGcTimeMs) / 1000, 6);
    expect(s.value('spark_shuffle_read_bytes_total', LABELS)).toBe(stageSum(all, (m) => m.shuffleTotalBytesRead));
    expect(s.value('spark_shuffle_write_bytes_total', LABELS)).toBe(stageSum(all, (m) => m.shuffleBytesWritten));
    expect(s.value('spark_spill_disk_bytes_total', LABELS)).toBe(0);
    expect(s.value('spark_input_records_total', LABELS)).toBe(stageSum(all, (m) => m.recordsRead));
    expect(s.value('spark_output_records_total', LABELS)).toBe(stageSum(all, (m) => m.recordsWritten));
    expect(s.value('spark_tasks_failed_total', LABELS)).toBe(2);
    // Gauges: the ended run no longer counts, the running one does.
    expect(s.value('spark_applications_running', LABELS)).toBe(1);
    expect(s.value('spark_executors_active', LABELS)).toBe(2);
    // Streaming: the ended run's query reads 0, the running one its latest progress.
    const q = { ...LABELS, spark_streaming_query_name: 'rate-to-console' };
    expect(s.value('spark_streaming_input_rows_total', q)).toBe(2 * (100 + 200 + 300));
    expect(s.value('spark_streaming_batch_input_rows', q)).toBe(300);
    expect(s.value('spark_streaming_input_rows_per_second', q)).toBe(100);
    expect(s.value('spark_streaming_processed_rows_per_second', q)).toBeCloseTo(833.3);
    expect(s.value('spark_streaming_batch_latest_id', q)).toBe(2);
    expect(s.value('spark_streaming_batch_duration_seconds_count', q)).toBe(6);
    expect(s.value('spark_streaming_batch_duration_seconds_sum', q)).toBeCloseTo(6 * 0.12, 6);
    const lag = { ...q, spark_streaming_source: 'KafkaV2[Subscribe[clicks]]' };
    expect(s.value('spark_streaming_source_offsets_behind_latest', { ...lag, stat: 'max' })).toBe(30);
    expect(s.value('spark_streaming_source_offsets_behind_latest', { ...lag, stat: 'avg' })).toBe(2.5);

    // Traces, as seen from the metrics side.
    expect(s.value('sparkwire_trace_spans_total', { span_kind: 'task' })).toBe(count('taskEnd'));
    expect(s.value('sparkwire_trace_applications')).toBe(1);
    expect(s.value('sparkwire_trace_open_spans', { span_kind: 'streaming_query' })).toBe(1);
    expect(s.value('sparkwire_trace_spans_exported_total', { result: 'failed' })).toBe(0);

    // Never an unbounded label (application, task, run or client ids).
    const labelNames = new Set([...s.families.values()].flatMap((f) => f.samples.flatMap((x) => Object.keys(x.labels))));
    for (const l of labelNames) expect(l).not.toMatch(/app_id|task_id|run_id|client_id|executor_id|stage_id|job_id/);
    for (const f of s.families.values()) for (const x of f.samples) for (const v of Object.values(x.labels)) expect(v).not.toMatch(/^app-prom-/);
  });

  it('counts events cut to fit Kafka and events refused for size, with the broker limit it read', async () => {
    const pick = (c: string) => ({ ...app1.find((e) => e.body?.$case === c)! });
    const sql = pick('sqlExecutionStart');
    const b = sql.body as Extract<NonNullable<SparkEvent['body']>, { $case: 'sqlExecutionStart' }>;
    const hugePlan = { ...sql, appId: 'app-prom-big', eventId: 'big-sql', body: { ...b, value: { ...b.value, description: 'x'.repeat(1_400_000) } } };
    // sparkMeasure's applications_ended record carries the configuration: a wide one cannot be cut.
    const start = pick('applicationEnd');
    const s0 = start.body as Extract<NonNullable<SparkEvent['body']>, { $case: 'applicationEnd' }>;
    const wideConf = { ...start, appId: 'app-prom-big', eventId: 'big-conf', body: { ...s0, value: { ...s0.value, sparkConfigs: { 'spark.wide': 'y'.repeat(1_500_000) } } } };
    const client = new ListenerClient(sidecar.address);
    try {
      const ok = await client.publish({ clientId: 'client-big', batchSeq: 1n, events: [hugePlan] });
      expect(ok.accepted).toBe(1);
      const refused = await client.publish({ clientId: 'client-big', batchSeq: 2n, events: [wideConf] }).then(() => undefined, (e: grpc.ServiceError) => e);
      expect(refused?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(refused?.details).toMatch(/^events\[0\]/);
    } finally {
      client.close();
    }
    after = await scrape(address);
    expect(after.value('sparkwire_events_truncated_total', { event_type: 'sql_execution_start', field: 'description' })).toBe(1);
    expect(after.value('sparkwire_events_oversize_total', { event_type: 'application_end' })).toBe(1);
    expect(after.value('sparkwire_kafka_max_message_bytes', { topic: 'prom-events' })).toBeGreaterThan(1_000_000);
    expect(after.value('sparkwire_spool_dead_letter_records_total')).toBe(0);
  });

  it('the Grafana dashboard uses only metrics the sidecar exports', () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana/sparkwire-dashboard.json', import.meta.url), 'utf8'));
    const exprs: string[] = [];
    const walk = (panels: Array<{ targets?: Array<{ expr: string }>; panels?: unknown[] }>) => {
      for (const p of panels) {
        for (const t of p.targets ?? []) exprs.push(t.expr);
        walk((p.panels ?? []) as typeof panels);
      }
    };
    walk(dashboard.panels);
    for (const v of dashboard.templating.list) if (typeof v.query === 'object') exprs.push(v.query.query);
    // Metric names: identifiers outside label matchers, grouping clauses, strings and label_values' label argument.
    const metricNames = (e: string) =>
      e
        .replace(/label_values\(([^,]+),[^)]*\)/g, '$1')
        .replace(/\{[^}]*\}/g, '')
        .replace(/\b(by|without)\s*\([^)]*\)/g, '')
        .replace(/"[^"]*"/g, '')
        .match(/\b(?:spark|sparkwire|messaging)_[a-z0-9_]+/g) ?? [];
    const names = new Set(exprs.flatMap(metricNames));
    expect(names.size).toBeGreaterThan(30);
    const exported = new Set([...after.families.keys()]);
    for (const n of names) {
      const family = exported.has(n) ? n : n.replace(/_(bucket|sum|count)$/, '');
      expect(exported.has(family), `${n} is used by the dashboard but not exported`).toBe(true);
    }
    // And every panel query names at least one exported metric.
    for (const e of exprs) expect(metricNames(e).length, e).toBeGreaterThan(0);
    // Every metric of the catalog is on the dashboard, except the process memory split and the label-only ones.
    const onDashboard = new Set([...names].map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    const missing = ALL_METRICS.map(prometheusName).filter((n) => !onDashboard.has(n));
    expect(missing).toEqual(['sparkwire_grpc_auth_failures_total', 'sparkwire_grpc_malformed_frames_total', 'sparkwire_client_task_events_skipped_total', 'sparkwire_trace_tasks_sampled_out_total']);
  });
});
