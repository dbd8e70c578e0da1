// The OTLP push exporters are loaded by the configuration that pushes, not by importing the
// library; one that cannot be loaded fails the call with the package named.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '@sparkwire/testkit';
import { createMetrics } from './index';
import { loadPackage } from './load-package';

// Node's CommonJS cache holds the OpenTelemetry packages (CommonJS), however they were imported.
const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(`/node_modules/${pkg}/`));
const cfg = { enabled: true, host: '127.0.0.1', port: 0, path: '/metrics' };

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe('lazy OTLP push exporters', () => {
  it('Prometheus alone loads neither OTLP exporter', async () => {
    const m = createMetrics(cfg, { env: {} });
    expect(m.meterProvider).toBeDefined();
    expect(loaded('@opentelemetry/exporter-prometheus')).toBe(true);
    expect(loaded('@opentelemetry/exporter-metrics-otlp-grpc')).toBe(false);
    expect(loaded('@opentelemetry/exporter-metrics-otlp-proto')).toBe(false);
    await m.shutdown();
  });

  it('push loads the package of its protocol only', async () => {
    const m = createMetrics({ ...cfg, enabled: false, otlpEndpoint: receiver.httpUrl, otlpIntervalMs: 3_600_000 }, { env: {} });
    expect(m.settings).toMatchObject({ push: true, protocol: 'http/protobuf' });
    expect(loaded('@opentelemetry/exporter-metrics-otlp-proto')).toBe(true);
    expect(loaded('@opentelemetry/exporter-metrics-otlp-grpc')).toBe(false);
    await m.shutdown();
  });

  it('a package that cannot be loaded fails at once, naming it and what needed it', () => {
    expect(() => loadPackage('@sparkwire/no-such-exporter', 'OTLP metrics push over grpc', () => require('@sparkwire/no-such-exporter'))).toThrow(
      /^OTLP metrics push over grpc needs the npm package @sparkwire\/no-such-exporter, which could not be loaded: .*Cannot find module/,
    );
  });
});
