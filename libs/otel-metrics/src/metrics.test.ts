import { afterEach, describe, expect, it } from 'vitest';
import { PipelineStats } from '@sparkwire/pipeline';
import type { SparkEvent } from '@sparkwire/proto';
import { startOtlpReceiver, syntheticApplication } from '@sparkwire/testkit';
import { ALL_METRICS, prometheusName } from './catalog';
import { createMetrics, METER_NAME, resolveMetrics, type Metrics, type MetricsConfig } from './metrics';
import { OffsetMetrics } from './offset-metrics';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-server';
import { parsePrometheusText } from './prom-text';

const cfg: MetricsConfig = { enabled: true, host: '127.0.0.1', port: 0, path: '/metrics' };
const running: Metrics[] = [];
afterEach(async () => {
  for (const m of running.splice(0)) await m.shutdown();
});

async function scrape(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type'), families: parsePrometheusText(await res.text()) };
}

const app = () =>
  syntheticApplication({ appId: 'app-m', appName: 'metrics-app', stagesPerJob: [2, 1], tasksPerStage: 4, executors: 2, sqlExecutions: 1, failedTasks: 1, streamingProgress: 2, labels: { team: 'data' } });

function withKafkaSource(events: SparkEvent[]): SparkEvent[] {
  return events.map((e) => {
    if (e.body?.$case !== 'streamingProgress') return e;
    const p = e.body.value;
    const sources = [{ ...p.sources[0], description: 'KafkaV2[Subscribe[events]]', metrics: { minOffsetsBehindLatest: '3', maxOffsetsBehindLatest: '40', avgOffsetsBehindLatest: '12.5' } }];
    return { ...e, body: { $case: 'streamingProgress', value: { ...p, sources } } };
  });
}

describe('resolveMetrics', () => {
  it('pushes OTLP only when asked', () => {
    expect(resolveMetrics(cfg, {})).toMatchObject({ prometheus: true, push: false, serviceName: 'sparkwire', intervalMs: 60_000 });
    expect(resolveMetrics({ ...cfg, otlpEndpoint: 'http://c:4317', otlpProtocol: 'grpc' }, {})).toMatchObject({ push: true, protocol: 'grpc' });
    expect(resolveMetrics(cfg, { OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '5000', OTEL_SERVICE_NAME: 's' })).toMatchObject({ push: true, intervalMs: 5000, serviceName: 's' });
    expect(resolveMetrics(cfg, { OTEL_METRICS_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).push).toBe(false);
    expect(resolveMetrics(cfg, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/m' })).toMatchObject({ push: true, url: 'http://c:4318/m' });
    expect(resolveMetrics(cfg, { OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toMatchObject({ push: true, url: 'http://c:4318/v1/metrics' });
    expect(resolveMetrics({ ...cfg, otlpEndpoint: 'http://c:4318' }, {}).url).toBe('http://c:4318/v1/metrics');
  });
});

describe('metrics endpoint', () => {
  it('serves Spark and sidecar metrics with the documented names, types, labels and values', async () => {
    const m = createMetrics(cfg, { env: {} });
    running.push(m);
    const { server } = await m.start();
    expect(server!.port).toBeGreaterThan(0);
    const stats = new PipelineStats();
    PipelineStats.add(stats.received, 'taskEnd', 7);
    PipelineStats.add(stats.published, 'taskEnd', 5);
    PipelineStats.add(stats.rejected, 'INVALID_ARGUMENT', 3);
    stats.clients.set('c1', { clientId: 'c1', clientKind: 'jvm', droppedBufferFull: 4, droppedSidecarUnavailable: 1, sparkDroppedEvents: 9, eventsSent: 100, taskEventsSkipped: 0, updatedAtMs: 0 });
    m.sidecar!.bind({ stats, receiver: () => ({ openStreams: 2, authFailures: 0, malformedFrames: 0 }), sink: { name: 'file', isReady: () => true } });
    m.sidecar!.recordKafkaSend(10, 25);
    // The application (and its streaming query) keep running for the gauges.
    const events = withKafkaSource(app()).filter((e) => e.body?.$case !== 'streamingQueryTerminated');
    const end = events.pop()!;
    m.observer!.onEvents(events);

    const { contentType, families } = await scrape(server!.url);
    expect(contentType).toBe(PROMETHEUS_CONTENT_TYPE);
    const sample = (name: string, labels: Record<string, string> = {}) =>
      [...families.values()].flatMap((f) => f.samples).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    const appLabels = { spark_app_name: 'metrics-app', spark_label_team: 'data' };

    expect(families.get('sparkwire_events_received_total')?.type).toBe('counter');
    expect(sample('sparkwire_events_received_total', { event_type: 'task_end' })?.value).toBe(7);
    expect(sample('sparkwire_events_rejected_total', { status: 'INVALID_ARGUMENT' })?.value).toBe(3);
    expect(sample('sparkwire_client_dropped_events_total', { client_kind: 'jvm', reason: 'buffer_full' })?.value).toBe(4);
    expect(sample('sparkwire_client_spark_dropped_events_total', { client_kind: 'jvm' })?.value).toBe(9);
    expect(sample('sparkwire_grpc_open_streams', { rpc_system: 'grpc', rpc_method: 'Stream' })?.value).toBe(2);
    expect(families.get('messaging_client_operation_duration')?.type).toBe('histogram');
    expect(sample('messaging_client_operation_duration_count', { messaging_system: 'kafka', messaging_operation_name: 'send' })?.value).toBe(1);
    expect(sample('messaging_client_operation_duration_sum')?.value).toBeCloseTo(0.025);
    expect(sample('messaging_client_sent_messages_total')?.value).toBe(10);
    expect(sample('sparkwire_batch_size_count')?.value).toBe(1);

    expect(sample('spark_stages_completed_total', { ...appLabels, status: 'succeeded' })?.value).toBe(3);
    expect(sample('spark_jobs_completed_total', { ...appLabels, result: 'succeeded' })?.value).toBe(2);
    expect(families.get('spark_stage_duration_seconds')?.type).toBe('histogram');
    expect(sample('spark_stage_duration_seconds_count', appLabels)?.value).toBe(3);
    const stageEvents = events.filter((e) => e.body?.$case === 'stageCompleted');
    const sum = (f: (m: NonNullable<Extract<SparkEvent['body'], { $case: 'stageCompleted' }>['value']['metrics']>) => bigint) =>
      Number(stageEvents.reduce((s, e) => s + (e.body?.$case === 'stageCompleted' ? f(e.body.value.metrics!) : 0n), 0n));
    expect(sample('spark_executor_run_time_seconds_total', appLabels)?.value).toBeCloseTo(sum((x) => x.executorRunTimeMs) / 1000);
    expect(sample('spark_executor_cpu_time_seconds_total', appLabels)?.value).toBeCloseTo(sum((x) => x.executorCpuTimeNs) / 1e9);
    expect(sample('spark_shuffle_write_bytes_total', appLabels)?.value).toBe(sum((x) => x.shuffleBytesWritten));
    expect(sample('spark_input_records_total', appLabels)?.value).toBe(sum((x) => x.recordsRead));
    expect(sample('spark_tasks_failed_total', appLabels)?.value).toBe(1);
    expect(sample('spark_executors_active', appLabels)?.value).toBe(0); // both removed before the end
    expect(sample('spark_applications_running', appLabels)?.value).toBe(1);
    const q = { ...appLabels, spark_streaming_query_name: 'rate-to-console' };
    expect(sample('spark_streaming_input_rows_total', q)?.value).toBe(100 + 200);
    expect(sample('spark_streaming_batch_input_rows', q)?.value).toBe(200);
    expect(sample('spark_streaming_processed_rows_per_second', q)?.value).toBeCloseTo(833.3);
    expect(sample('spark_streaming_batch_duration_seconds_count', q)?.value).toBe(2);
    expect(sample('spark_streaming_source_offsets_behind_latest', { ...q, spark_streaming_source: 'KafkaV2[Subscribe[events]]', stat: 'max' })?.value).toBe(40);
    // Never an unbounded label.
    for (const f of families.values()) for (const s of f.samples) expect(Object.keys(s.labels).filter((l) => /app_id|task_id|run_id|client_id/.test(l))).toEqual([]);

    // The application ends: its gauges go, its counters stay.
    m.observer!.onEvents([end]);
    const after = (await scrape(server!.url)).families;
    expect(after.get('spark_applications_running')?.samples.map((x) => x.value)).toEqual([0]);
    expect(after.get('spark_streaming_input_rows_per_second')?.samples.map((x) => x.value)).toEqual([0]);
    expect(after.get('spark_stages_completed_total')?.samples.length).toBeGreaterThan(0);
    expect(m.observer!.trackedApps()).toBe(0);
  });

  it('every catalog metric has the type the catalog says once it has data', async () => {
    const m = createMetrics(cfg, { env: {} });
    running.push(m);
    const { server } = await m.start();
    const stats = new PipelineStats();
    for (const map of [stats.received, stats.published, stats.duplicates, stats.filtered, stats.rejected, stats.observerErrors]) PipelineStats.add(map, 'x');
    stats.clients.set('c', { clientId: 'c', clientKind: 'k', droppedBufferFull: 0, droppedSidecarUnavailable: 0, sparkDroppedEvents: 0, eventsSent: 0, taskEventsSkipped: 0, updatedAtMs: 0 });
    const zero = { application: 0, sql: 0 };
    m.sidecar!.bind({ stats, receiver: () => ({ openStreams: 0, authFailures: 0, malformedFrames: 0 }), sink: { name: 'file', isReady: () => false }, traces: () => ({ apps: 0, openSpans: zero, spansEmitted: zero, closedEarly: { timeout: 0 }, tasksSampledOut: 0, export: { exported: 0, failed: 0 } }) });
    // Delivery: the spool (with its dead-letter store), truncation and the Kafka limits.
    PipelineStats.add(stats.truncated, 'sqlExecutionStart:description');
    PipelineStats.add(stats.oversize, 'applicationEnd');
    m.sidecar!.bind({ spool: () => ({ bytes: 1, pendingEntries: 0, oldestPendingMs: 0, publishFailures: 0, drainer: 'idle', deadLetter: { records: 1, bytes: 10 } }), kafkaLimits: () => ({ events: 1_048_588 }) });
    m.sidecar!.recordKafkaSend(1, 1);
    const events = withKafkaSource(app()).filter((e) => e.body?.$case !== 'streamingQueryTerminated');
    m.observer!.onEvents(events.slice(0, -1));
    new OffsetMetrics(m.meterProvider!.getMeter(METER_NAME, '0.1.0')).bind({
      groups: () => [{ group: 'g', status: 'OK', totalLag: 1, maxLagSeconds: 1, partitions: [{ topic: 't', partition: 0, committed: 1, logEnd: 2, lag: 1, lagSeconds: 1 }] }],
      commits: () => new Map(),
    });
    const { families } = await scrape(server!.url);
    for (const info of ALL_METRICS) {
      const f = families.get(prometheusName(info));
      expect(f, prometheusName(info)).toBeDefined();
      expect(f!.type, prometheusName(info)).toBe(info.type);
    }
  });

  it('a port in use is reported, not thrown', async () => {
    const a = createMetrics(cfg, { env: {} });
    running.push(a);
    const { server } = await a.start();
    const b = createMetrics({ ...cfg, port: server!.port }, { env: {} });
    running.push(b);
    const r = await b.start();
    expect(r.server).toBeUndefined();
    expect(r.error?.message).toMatch(/EADDRINUSE/);
  });

  it('pushes metrics over OTLP to a real receiver', async () => {
    const receiver = await startOtlpReceiver();
    try {
      for (const protocol of ['grpc', 'http/protobuf'] as const) {
        const m = createMetrics({ ...cfg, enabled: false, otlpEndpoint: protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl, otlpProtocol: protocol, otlpIntervalMs: 100_000 }, { env: {} });
        m.observer!.onEvents(app());
        await m.shutdown(); // the last push happens at shutdown
        const via = protocol === 'grpc' ? 'grpc' : 'http';
        const got = await receiver.waitForMetrics((ms) => ms.some((x) => x.via === via && x.name === 'spark.stages.completed'));
        const stages = got.find((x) => x.via === via && x.name === 'spark.stages.completed')!;
        expect(stages.resource['service.name']).toBe('sparkwire');
        expect(stages.dataPoints[0]).toMatchObject({ value: 3, attributes: { 'spark.app.name': 'metrics-app', status: 'succeeded' } });
      }
    } finally {
      await receiver.close();
    }
  });
});
