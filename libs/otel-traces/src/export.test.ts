// The export path against a real OTLP receiver (test/otlp-receiver.ts): both protocols,
// and the settings resolved from sparkwire config and OTEL_* variables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver, syntheticApplication } from '@sparkwire/testkit';
import { httpSignalUrl } from './export';
import { traceIdFor } from './ids';
import { resolveTracing, startTracing, type TracingConfig } from './tracing';

const base: TracingConfig = { taskSpans: true, taskSampleRatio: 1, openSpanTimeoutMs: 3_600_000, maxOpenSpans: 10_000 };

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe('resolveTracing', () => {
  it('is off without an endpoint, on with one from config or OTEL_* variables', () => {
    expect(resolveTracing(base, {})).toMatchObject({ enabled: false, protocol: 'http/protobuf' });
    expect(resolveTracing({ ...base, tracesEndpoint: 'http://c:4317', tracesProtocol: 'grpc' }, {})).toMatchObject({ enabled: true, protocol: 'grpc', url: 'http://c:4317' });
    expect(resolveTracing({ ...base, tracesEndpoint: 'http://c:4318' }, {})).toMatchObject({ enabled: true, protocol: 'http/protobuf', url: 'http://c:4318/v1/traces' });
    expect(resolveTracing(base, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toMatchObject({ enabled: true, protocol: 'http/protobuf', url: 'http://c:4318/v1/traces' });
    expect(resolveTracing(base, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({ protocol: 'grpc', url: 'http://c:4317' });
    expect(resolveTracing(base, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' })).toMatchObject({ url: 'http://c:4318/custom' });
    expect(resolveTracing(base, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({ enabled: true, protocol: 'grpc' });
    expect(resolveTracing(base, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf', OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ enabled: true, protocol: 'http/protobuf' });
    expect(resolveTracing(base, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect(resolveTracing(base, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(resolveTracing({ ...base, tracesEnabled: false, tracesEndpoint: 'http://c:4318' }, {}).enabled).toBe(false);
    expect(resolveTracing({ ...base, serviceName: 'mine' }, { OTEL_SERVICE_NAME: 'env' }).serviceName).toBe('mine');
    expect(resolveTracing(base, { OTEL_SERVICE_NAME: 'env', OTEL_BSP_MAX_QUEUE_SIZE: '99' })).toMatchObject({ serviceName: 'env', maxQueueSize: 99 });
  });

  it('adds /v1/traces to a base HTTP endpoint only', () => {
    expect(httpSignalUrl('http://c:4318', '/v1/traces')).toBe('http://c:4318/v1/traces');
    expect(httpSignalUrl('http://c:4318/', '/v1/traces')).toBe('http://c:4318/v1/traces');
    expect(httpSignalUrl('http://c:4318/custom/path', '/v1/traces')).toBe('http://c:4318/custom/path');
  });
});

describe.each(['grpc', 'http/protobuf'] as const)('OTLP export over %s', (protocol) => {
  it('delivers every span of an application, decoded by a real receiver', async () => {
    receiver.clear();
    const appId = `app-export-${protocol.replace('/', '-')}`;
    const tracing = startTracing({ ...base, tracesProtocol: protocol, tracesEndpoint: protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl }, { env: {} });
    expect(tracing.settings.enabled).toBe(true);
    const app = syntheticApplication({ appId, appName: 'export', stagesPerJob: [2], tasksPerStage: 20, executors: 1, sqlExecutions: 1, failedTasks: 0, streamingProgress: 1 });
    tracing.builder.onEvents(app);
    await tracing.shutdown();
    // 1 app + 1 sql + 1 job + 2 stages + 40 tasks + 1 query + 1 batch
    const spans = await receiver.waitForSpans((s) => s.length >= 47);
    expect(spans).toHaveLength(47);
    expect(new Set(spans.map((s) => s.via))).toEqual(new Set([protocol === 'grpc' ? 'grpc' : 'http']));
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceIdFor(appId, '1')]));
    const root = spans.find((s) => s.name === 'spark.application')!;
    expect(root.resource['service.name']).toBe('export');
    expect(root.resource['telemetry.sdk.language']).toBe('nodejs');
    expect(root.scope).toBe('@sparkwire/otel-traces');
    expect(tracing.stats().export).toMatchObject({ exported: 47, failed: 0 });
  });

  it('an application that exits non-zero: ERROR status and the exception span event, as received', async () => {
    receiver.clear();
    const appId = `app-exit-${protocol.replace('/', '-')}`;
    const tracing = startTracing({ ...base, tracesProtocol: protocol, tracesEndpoint: protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl }, { env: {} });
    const app = syntheticApplication({ appId, appName: 'exit', stagesPerJob: [1], tasksPerStage: 1, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0 });
    const end = app.find((e) => e.body?.$case === 'applicationEnd')!;
    if (end.body?.$case !== 'applicationEnd') throw new Error('no applicationEnd');
    end.body.value.exitCode = 3;
    tracing.builder.onEvents(app);
    await tracing.shutdown();
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'spark.application'));
    const root = spans.find((s) => s.name === 'spark.application')!;
    expect(root.status).toMatchObject({ code: 'STATUS_CODE_ERROR', message: 'application exited with code 3' });
    expect(root.attributes['spark.app.exit_code']).toBe(3);
    const exception = root.events.filter((e) => e.name === 'exception');
    expect(exception).toHaveLength(1);
    expect(exception[0].attributes).toEqual({ 'exception.type': 'ApplicationFailure', 'exception.message': 'application exited with code 3' });
    expect(exception[0].timeMs).toBe(root.endMs);
  });
});
