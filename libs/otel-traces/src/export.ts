// Where spans go: the SDK's BatchSpanProcessor in front of an OTLP exporter (gRPC or
// HTTP/protobuf), configured by sparkwire's own settings with the standard OTEL_*
// variables as fallback.
import type { MeterProvider } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

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

export function createSpanExporter(s: Pick<TraceExportSettings, 'protocol' | 'url' | 'timeoutMs'> & { concurrencyLimit?: number }): SpanExporter {
  const options = { url: s.url, timeoutMillis: s.timeoutMs, concurrencyLimit: s.concurrencyLimit };
  return s.protocol === 'grpc' ? new GrpcTraceExporter(options) : new ProtoTraceExporter(options);
}

export interface SpanExportPipeline {
  processor: BatchSpanProcessor;
  exporter: CountingExporter;
}

export function createSpanExportPipeline(s: TraceExportSettings): SpanExportPipeline {
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
