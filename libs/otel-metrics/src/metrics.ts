// Metrics as one unit: a MeterProvider with the Prometheus exporter (pull, on our own
// HTTP server) and optionally a periodic OTLP push, the Spark observer and the sidecar
// health instruments, configured by sparkwire's config with OTEL_* variables as fallback.
import type { MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { startPrometheusServer, type PrometheusServer } from './prometheus-server';
import { ATTR_SERVICE_NAME } from './semconv';
import { SidecarMetrics } from './sidecar-metrics';
import { SparkMetricsObserver, type SparkMetricsOptions } from './spark-metrics';
import type { MetricsSectionConfig } from './config';

export type OtlpProtocol = 'grpc' | 'http/protobuf';

/** The parsed `metrics` section (config.ts) and the service name, which the `otel` section sets for traces and metrics alike. */
export interface MetricsConfig extends MetricsSectionConfig {
  /** Undefined: OTEL_SERVICE_NAME, else "sparkwire". */
  serviceName?: string;
}

export interface ResolvedMetrics {
  prometheus: boolean;
  push: boolean;
  pushReason: string;
  protocol: OtlpProtocol;
  url?: string;
  intervalMs: number;
  serviceName: string;
}

export const METER_NAME = '@sparkwire/otel-metrics';

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

export function resolveMetrics(c: MetricsConfig, env: NodeJS.ProcessEnv = process.env): ResolvedMetrics {
  const p = envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') ?? envValue(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  const protocol = c.otlpProtocol ?? (p === 'grpc' || p === 'http/protobuf' ? p : 'http/protobuf');
  const interval = Number(envValue(env, 'OTEL_METRIC_EXPORT_INTERVAL'));
  const exporters = envValue(env, 'OTEL_METRICS_EXPORTER')?.split(',').map((s) => s.trim()) ?? [];
  const disabled = envValue(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  let push = false;
  let pushReason = 'no metrics.otlpEndpoint and OTEL_METRICS_EXPORTER does not name otlp';
  if (c.otlpEndpoint) [push, pushReason] = [true, 'metrics.otlpEndpoint is set'];
  else if (disabled) pushReason = 'OTEL_SDK_DISABLED=true';
  else if (exporters.includes('otlp')) [push, pushReason] = [true, 'OTEL_METRICS_EXPORTER=otlp'];
  // Resolved here rather than by the exporter (which reads process.env) so an injected environment holds.
  const signalEndpoint = envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const genericEndpoint = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const fromEnv = signalEndpoint ?? (genericEndpoint && protocol === 'http/protobuf' ? `${genericEndpoint.replace(/\/+$/, '')}/v1/metrics` : genericEndpoint);
  if (!push && signalEndpoint && !disabled && !exporters.includes('none')) [push, pushReason] = [true, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set'];
  return {
    prometheus: c.enabled,
    push,
    pushReason,
    protocol,
    url: c.otlpEndpoint ? (protocol === 'http/protobuf' ? httpSignalUrl(c.otlpEndpoint) : c.otlpEndpoint) : fromEnv,
    intervalMs: c.otlpIntervalMs ?? (Number.isInteger(interval) && interval > 0 ? interval : 60_000),
    serviceName: c.serviceName ?? envValue(env, 'OTEL_SERVICE_NAME') ?? 'sparkwire',
  };
}

function httpSignalUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/v1/metrics';
  return u.toString();
}

function createPushExporter(s: ResolvedMetrics): PushMetricExporter {
  if (s.protocol === 'grpc') return new GrpcMetricExporter({ url: s.url });
  return new ProtoMetricExporter({ url: s.url });
}

export interface Metrics {
  readonly settings: ResolvedMetrics;
  /** Undefined when neither the endpoint nor OTLP push is on. */
  readonly meterProvider?: ApiMeterProvider;
  readonly observer?: SparkMetricsObserver;
  readonly sidecar?: SidecarMetrics;
  /** Binds the scrape endpoint; a port in use is returned as an error, not thrown. */
  start(): Promise<{ server?: PrometheusServer; error?: Error }>;
  /** Pushes a last time (OTLP), closes the endpoint. */
  shutdown(): Promise<void>;
}

export function createMetrics(c: MetricsConfig, opts: { env?: NodeJS.ProcessEnv; spark?: SparkMetricsOptions } = {}): Metrics {
  const settings = resolveMetrics(c, opts.env);
  if (!settings.prometheus && !settings.push) {
    return { settings, start: async () => ({}), shutdown: async () => undefined };
  }
  const readers: IMetricReader[] = [];
  const prometheus = settings.prometheus ? new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true }) : undefined;
  if (prometheus) readers.push(prometheus);
  if (settings.push) readers.push(new PeriodicExportingMetricReader({ exporter: createPushExporter(settings), exportIntervalMillis: settings.intervalMs, exportTimeoutMillis: Math.min(settings.intervalMs, 30_000) }));
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }));
  const meterProvider = new MeterProvider({ resource, readers });
  const meter = meterProvider.getMeter(METER_NAME, '0.1.0');
  const observer = new SparkMetricsObserver(meter, opts.spark);
  const sidecar = new SidecarMetrics(meter);
  let server: PrometheusServer | undefined;
  let stopping: Promise<void> | undefined;
  return {
    settings,
    meterProvider,
    observer,
    sidecar,
    async start() {
      if (!prometheus || server) return { server };
      try {
        server = await startPrometheusServer(prometheus, { host: c.host, port: c.port, path: c.path });
        return { server };
      } catch (err) {
        return { error: err as Error };
      }
    },
    shutdown() {
      stopping ??= (async () => {
        await server?.close();
        await meterProvider.shutdown().catch(() => undefined);
      })();
      return stopping;
    },
  };
}
