// Where spans go: the SDK's BatchSpanProcessor in front of an OTLP exporter (gRPC or
// HTTP/protobuf), configured by sparkwire's own settings with the standard OTEL_*
// variables as fallback.
//
// The exporters and the processor are loaded only by the functions that build them
// (load-package.ts): with tracing off, as by default, none of them is in the process.
import type { MeterProvider } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type * as OtlpGrpc from '@opentelemetry/exporter-trace-otlp-grpc';
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type * as SdkTrace from '@opentelemetry/sdk-trace-base';
import type { BatchSpanProcessor, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadPackage } from './load-package';

export type OtlpProtocol = 'grpc' | 'http/protobuf';

export interface TraceExportSettings {
  protocol: OtlpProtocol;
  /** The full URL (HTTP: with /v1/traces). Undefined: the exporter's default (localhost). */
  url?: string;
  timeoutMs?: number;
  maxQueueSize: number;
  /** Undefined: OTEL_BSP_MAX_EXPORT_BATCH_SIZE, else 512. */
  maxExportBatchSize?: number;
  /** Undefined: OTEL_BSP_SCHEDULE_DELAY, else 5000 ms. */
  scheduledDelayMs?: number;
  /** Receives the processor's own metrics (otel.sdk.processor.span.*: queue size, spans dropped). */
  selfObsMeterProvider?: MeterProvider;
}

export interface ExportCounters {
  /** Spans the backend accepted. */
  exported: number;
  /** Spans in exports that failed (the backend down, a timeout). */
  failed: number;
  lastError?: string;
}

/** Counts what the real exporter did with each batch. */
export class CountingExporter implements SpanExporter {
  readonly counters: ExportCounters = { exported: 0, failed: 0 };

  constructor(readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.counters.exported += spans.length;
      else {
        this.counters.failed += spans.length;
        this.counters.lastError = result.error?.message ?? 'export failed';
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * sparkwire's otel.tracesEndpoint for HTTP may be the collector's base address
 * (http://collector:4318): the signal path /v1/traces is added when no path is given.
 */
export function httpSignalUrl(endpoint: string, signalPath: '/v1/traces' | '/v1/metrics'): string {
  const u = new URL(endpoint);
  if (u.pathname === '' || u.pathname === '/') u.pathname = signalPath;
  return u.toString();
}

/** Throws, naming the package, when the protocol's exporter package cannot be loaded. */
export function createSpanExporter(s: Pick<TraceExportSettings, 'protocol' | 'url' | 'timeoutMs'> & { concurrencyLimit?: number }): SpanExporter {
  const options = { url: s.url, timeoutMillis: s.timeoutMs, concurrencyLimit: s.concurrencyLimit };
  const need = `OTLP trace export over ${s.protocol}`;
  if (s.protocol === 'grpc') {
    const { OTLPTraceExporter } = loadPackage<typeof OtlpGrpc>('@opentelemetry/exporter-trace-otlp-grpc', need, () => require('@opentelemetry/exporter-trace-otlp-grpc'));
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = loadPackage<typeof OtlpProto>('@opentelemetry/exporter-trace-otlp-proto', need, () => require('@opentelemetry/exporter-trace-otlp-proto'));
  return new OTLPTraceExporter(options);
}

export interface SpanExportPipeline {
  processor: BatchSpanProcessor;
  exporter: CountingExporter;
}

/** Throws, naming the package, when the exporter or the SDK's processor cannot be loaded. */
export function createSpanExportPipeline(s: TraceExportSettings): SpanExportPipeline {
  const { BatchSpanProcessor } = loadPackage<typeof SdkTrace>('@opentelemetry/sdk-trace-base', `OTLP trace export over ${s.protocol}`, () => require('@opentelemetry/sdk-trace-base'));
  // A flush (shutdown, forceFlush) sends the whole queue as concurrent batches; the
  // exporter must accept that many or it fails the rest ("Concurrent export limit reached").
  const batch = s.maxExportBatchSize ?? envInt('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512;
  const exporter = new CountingExporter(createSpanExporter({ ...s, concurrencyLimit: Math.ceil(s.maxQueueSize / Math.min(batch, s.maxQueueSize)) + 2 }));
  const processor = new BatchSpanProcessor(exporter, {
    maxQueueSize: s.maxQueueSize,
    maxExportBatchSize: s.maxExportBatchSize !== undefined ? Math.min(s.maxExportBatchSize, s.maxQueueSize) : undefined,
    scheduledDelayMillis: s.scheduledDelayMs,
    exportTimeoutMillis: s.timeoutMs,
    // The base class takes this option; sdk-trace-base's shim forwards its config whole.
    ...(s.selfObsMeterProvider ? { selfObsMeterProvider: s.selfObsMeterProvider } : {}),
  } as ConstructorParameters<typeof BatchSpanProcessor>[1]);
  return { processor, exporter };
}

function envInt(name: string): number | undefined {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
