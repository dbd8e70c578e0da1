// The otel / metrics configuration and the telemetry wiring of an embedded pipeline.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '@sparkwire/otel-metrics';
import { type OtlpReceiver, startOtlpReceiver, syntheticApplication } from '@sparkwire/testkit';
import { ConfigError, createPipeline, parseConfig } from './index';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const dir = () => mkdtempSync(join(tmpdir(), 'sw-tel-'));
const app = (appId: string) => syntheticApplication({ appId, appName: 'embedded', stagesPerJob: [2], tasksPerStage: 5, executors: 1, sqlExecutions: 1, failedTasks: 0, streamingProgress: 1, startMs: Date.now() - 60_000 });

describe('otel and metrics configuration', () => {
  it('defaults: endpoint on 127.0.0.1:9464/metrics, traces left to the OTEL_* variables', () => {
    const c = parseConfig({});
    expect(c.metrics).toEqual({ enabled: true, host: '127.0.0.1', port: 9464, path: '/metrics' });
    expect(c.otel).toEqual({ taskSpans: true, taskSampleRatio: 1, openSpanTimeoutMs: 86_400_000, maxOpenSpans: 10_000 });
  });

  const bad: Array<[string, unknown, string]> = [
    ['a port out of range', { metrics: { port: 70_000 } }, 'metrics.port'],
    ['a sample ratio above 1', { otel: { taskSampleRatio: 2 } }, 'otel.taskSampleRatio'],
    ['an unknown protocol', { otel: { tracesProtocol: 'http/json' } }, 'otel.tracesProtocol'],
    ['an endpoint that is not a URL', { otel: { tracesEndpoint: 'collector:4317' } }, 'otel.tracesEndpoint'],
    ['a path without /', { metrics: { path: 'metrics' } }, 'metrics.path'],
    ['an unknown key', { otel: { endpoint: 'http://c:4317' } }, 'otel.endpoint'],
  ];
  for (const [what, input, key] of bad) {
    it(`names ${what}`, () => {
      try {
        parseConfig(input);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).key).toBe(key);
      }
    });
  }
});

describe('embedded pipeline telemetry', () => {
  it('no endpoint anywhere: no tracing, metrics observer only', async () => {
    const built = createPipeline({ file: { dir: dir() }, logLevel: 'silent' }, { env: {} });
    expect(built.telemetry.traces).toMatchObject({ enabled: false, reason: 'no OTLP endpoint configured' });
    expect(built.telemetry.observers.map((o) => o.name)).toEqual(['otel-metrics']);
    await built.close();
  });

  it('OTEL_* variables turn tracing on; close() flushes the spans', async () => {
    const built = createPipeline(
      { extended: true, file: { dir: dir() }, logLevel: 'silent' },
      { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.httpUrl}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } },
    );
    expect(built.telemetry.traces).toMatchObject({ enabled: true, protocol: 'http/protobuf' });
    expect(built.telemetry.observers.map((o) => o.name)).toEqual(['otel-traces', 'otel-metrics']);
    await built.start();
    await built.pipeline.publishEvents(app('app-embedded'));
    await built.close();
    const spans = receiver.spans.filter((s) => s.resource['spark.app.id'] === 'app-embedded');
    // app + sql + job + 2 stages + 10 tasks + query + batch
    expect(spans).toHaveLength(17);
    expect(new Set(spans.map((s) => s.via))).toEqual(new Set(['http']));
  });

  it('serves /metrics once telemetry.start() is called, on a free port with port 0', async () => {
    const built = createPipeline({ file: { dir: dir() }, metrics: { port: 0 }, logLevel: 'silent' }, { env: {} });
    await built.start();
    const { metricsAddress } = await built.telemetry.start();
    await built.pipeline.publishEvents(app('app-metrics'));
    const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    const families = parsePrometheusText(text);
    expect(families.get('spark_stages_completed_total')?.samples[0]).toMatchObject({ value: 2, labels: { spark_app_name: 'embedded', status: 'succeeded' } });
    expect(families.get('sparkwire_events_published_total')?.samples.find((s) => s.labels.event_type === 'stage_completed')?.value).toBe(2);
    expect(families.get('sparkwire_sink_ready')?.samples[0]).toMatchObject({ value: 1, labels: { sink: 'file' } });
    await built.close();
    await expect(fetch(`http://${metricsAddress}/metrics`)).rejects.toThrow();
  });
});
