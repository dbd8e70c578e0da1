// The OTLP packages are loaded by the configuration that needs them, not by importing the
// library; one that cannot be loaded fails the call with the package named.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createSpanExporter, createSpanExportPipeline } from './index';
import { loadPackage } from './load-package';

// Node's CommonJS cache holds the OpenTelemetry packages (CommonJS), however they were imported.
const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(`/node_modules/${pkg}/`));

describe('lazy OTLP packages', () => {
  it('importing the library loads no exporter and no span processor', () => {
    expect(loaded('@opentelemetry/api')).toBe(true);
    expect(loaded('@opentelemetry/exporter-trace-otlp-grpc')).toBe(false);
    expect(loaded('@opentelemetry/exporter-trace-otlp-proto')).toBe(false);
    expect(loaded('@opentelemetry/sdk-trace-base')).toBe(false);
  });

  it('building an exporter loads the package of its protocol only', async () => {
    const proto = createSpanExporter({ protocol: 'http/protobuf', url: 'http://127.0.0.1:1/v1/traces' });
    expect(proto.constructor.name).toBe('OTLPTraceExporter');
    expect(loaded('@opentelemetry/exporter-trace-otlp-proto')).toBe(true);
    expect(loaded('@opentelemetry/exporter-trace-otlp-grpc')).toBe(false);
    const { processor } = createSpanExportPipeline({ protocol: 'grpc', url: 'http://127.0.0.1:1', maxQueueSize: 16 });
    expect(processor.constructor.name).toBe('BatchSpanProcessor');
    expect(loaded('@opentelemetry/exporter-trace-otlp-grpc')).toBe(true);
    await Promise.all([proto.shutdown(), processor.shutdown()]);
  });

  it('a package that cannot be loaded fails at once, naming it and what needed it', () => {
    expect(() => loadPackage('@sparkwire/no-such-exporter', 'OTLP trace export over grpc', () => require('@sparkwire/no-such-exporter'))).toThrow(
      /^OTLP trace export over grpc needs the npm package @sparkwire\/no-such-exporter, which could not be loaded: .*Cannot find module/,
    );
  });
});
