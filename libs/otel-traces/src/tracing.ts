// Tracing as one unit: the trace builder (an EventObserver for the pipeline) in front of
// the batching processor and OTLP exporter, with settings resolved from sparkwire's config
// and the standard OTEL_* environment variables.
import type { MeterProvider } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, type Resource } from '@opentelemetry/resources';
import { createSpanExportPipeline, httpSignalUrl, type ExportCounters, type OtlpProtocol, type SpanExportPipeline } from './export';
import { SparkTraceBuilder, type TraceBuilderStats } from './trace-builder';
import type { TracingConfig } from './config';

export type { TracingConfig } from './config';

export interface ResolvedTracing {
  enabled: boolean;
  /** Why tracing is on or off, for the start-up log. */
  reason: string;
  protocol: OtlpProtocol;
  url?: string;
  serviceName?: string;
  maxQueueSize: number;
}

export const DEFAULT_SPAN_QUEUE_SIZE = 16_384;

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function envProtocol(env: NodeJS.ProcessEnv): OtlpProtocol | undefined {
  const p = envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? envValue(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (p === 'grpc' || p === 'http/protobuf') return p;
  return undefined; // http/json (or a typo) is not offered: the default applies
}

export function resolveTracing(c: TracingConfig, env: NodeJS.ProcessEnv = process.env): ResolvedTracing {
  const protocol = c.tracesProtocol ?? envProtocol(env) ?? 'http/protobuf';
  const envEndpoint = envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporters = envValue(env, 'OTEL_TRACES_EXPORTER')?.split(',').map((s) => s.trim());
  const queue = Number(envValue(env, 'OTEL_BSP_MAX_QUEUE_SIZE'));
  // The exporter would read these variables itself, but from process.env: resolving the URL
  // here keeps an injected environment (embedding programs, tests) authoritative.
  const signalEndpoint = envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const genericEndpoint = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const fromEnv = signalEndpoint ?? (genericEndpoint && protocol === 'http/protobuf' ? `${genericEndpoint.replace(/\/+$/, '')}/v1/traces` : genericEndpoint);
  const base = {
    protocol,
    url: c.tracesEndpoint ? (protocol === 'http/protobuf' ? httpSignalUrl(c.tracesEndpoint, '/v1/traces') : c.tracesEndpoint) : fromEnv,
    serviceName: c.serviceName ?? envValue(env, 'OTEL_SERVICE_NAME'),
    maxQueueSize: c.maxQueueSize ?? (Number.isInteger(queue) && queue > 0 ? queue : DEFAULT_SPAN_QUEUE_SIZE),
  };
  if (c.tracesEnabled === false) return { ...base, enabled: false, reason: 'otel.tracesEnabled=false' };
  if (c.tracesEnabled === true) return { ...base, enabled: true, reason: 'otel.tracesEnabled=true' };
  if (envValue(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { ...base, enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  if (exporters?.includes('none')) return { ...base, enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  if (c.tracesEndpoint) return { ...base, enabled: true, reason: 'otel.tracesEndpoint is set' };
  if (envEndpoint) return { ...base, enabled: true, reason: 'OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT is set' };
  if (exporters?.includes('otlp')) return { ...base, enabled: true, reason: 'OTEL_TRACES_EXPORTER=otlp' };
  return { ...base, enabled: false, reason: 'no OTLP endpoint configured' };
}

export interface Tracing {
  readonly settings: ResolvedTracing;
  readonly builder: SparkTraceBuilder;
  readonly pipeline: SpanExportPipeline;
  stats(): TraceBuilderStats & { export: ExportCounters };
  /** Exports what is queued now. */
  flush(): Promise<void>;
  /** Closes open spans (marked sidecar_shutdown), flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

/** service.name and telemetry.sdk.* defaults, then OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME. */
export function baseResource(): Resource {
  return defaultResource().merge(detectResources({ detectors: [envDetector] }));
}

export function startTracing(c: TracingConfig, opts: { env?: NodeJS.ProcessEnv; selfObsMeterProvider?: MeterProvider } = {}): Tracing {
  const settings = resolveTracing(c, opts.env);
  const pipeline = createSpanExportPipeline({
    protocol: settings.protocol,
    url: settings.url,
    timeoutMs: c.exportTimeoutMs,
    maxQueueSize: settings.maxQueueSize,
    selfObsMeterProvider: opts.selfObsMeterProvider,
  });
  const builder = new SparkTraceBuilder({
    sink: pipeline.processor,
    taskSpans: c.taskSpans,
    taskSampleRatio: c.taskSampleRatio,
    openSpanTimeoutMs: c.openSpanTimeoutMs,
    maxOpenSpans: c.maxOpenSpans,
    serviceName: settings.serviceName,
    baseResource: baseResource(),
  });
  builder.startSweeping();
  let stopping: Promise<void> | undefined;
  return {
    settings,
    builder,
    pipeline,
    stats: () => ({ ...builder.stats(), export: { ...pipeline.exporter.counters } }),
    flush: () => pipeline.processor.forceFlush(),
    shutdown() {
      stopping ??= (async () => {
        builder.stopSweeping();
        builder.closeAll('sidecar_shutdown');
        await pipeline.processor.shutdown();
      })();
      return stopping;
    },
  };
}
