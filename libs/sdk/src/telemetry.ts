// OpenTelemetry for the pipeline: traces (one per Spark run, exported over OTLP) and
// metrics (the Prometheus endpoint, optional OTLP push), built from the `otel` and
// `metrics` sections of the config with the standard OTEL_* variables as fallback.
import type { EventObserver } from '@sparkwire/pipeline';
import { createMetrics, type Metrics, type SidecarSources } from '@sparkwire/otel-metrics';
import { resolveTracing, startTracing, type ResolvedTracing, type Tracing } from '@sparkwire/otel-traces';
import type { SparkwireConfig } from './config';
import type { Logger } from './logger';

export interface Telemetry {
  tracing?: Tracing;
  metrics: Metrics;
  /** Observers for the pipeline: the trace builder and the Spark metrics. */
  observers: EventObserver[];
  /** How tracing was resolved (on/off and why), for logs. */
  traces: ResolvedTracing;
  /** Adds what the metrics read (pipeline stats, receiver counters, sink). */
  bind(sources: SidecarSources): void;
  /** Kafka produce latency, from KafkaSinkEvents.onSend. */
  recordKafkaSend(records: number, ms: number): void;
  /**
   * Starts the Prometheus endpoint. Throws when its port cannot be bound (message starting with
   * `metrics.port:`): a sidecar whose metrics nobody would see must not pass for a healthy one.
   */
  start(): Promise<{ metricsAddress?: string }>;
  /** Closes open spans, flushes spans and metrics, closes the endpoint. */
  shutdown(): Promise<void>;
}

export function createTelemetry(config: SparkwireConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const o = config.otel;
  // service.name is an `otel` setting, for traces and metrics alike.
  const metrics = createMetrics({ ...config.metrics, serviceName: o.serviceName }, { env, spark: { staleAfterMs: o.openSpanTimeoutMs } });
  const traces = resolveTracing(o, env);
  // The span processor reports its queue and drops (otel.sdk.processor.span.*) to our meter.
  const tracing = traces.enabled ? startTracing(o, { env, selfObsMeterProvider: metrics.meterProvider }) : undefined;
  const observers: EventObserver[] = [];
  if (tracing) observers.push(tracing.builder);
  if (metrics.observer) observers.push(metrics.observer);
  if (tracing) metrics.sidecar?.bind({ traces: () => tracing.stats() });
  let stopping: Promise<void> | undefined;

  return {
    tracing,
    metrics,
    observers,
    traces,
    bind: (sources) => metrics.sidecar?.bind(sources),
    recordKafkaSend: (records, ms) => metrics.sidecar?.recordKafkaSend(records, ms),
    async start() {
      const { server, error } = await metrics.start();
      if (error) {
        const at = config.metrics.host.includes(':') ? `[${config.metrics.host}]:${config.metrics.port}` : `${config.metrics.host}:${config.metrics.port}`;
        throw new Error(`metrics.port: cannot listen on ${at}: ${error.message} (set another metrics.port, 0 for a free one, or metrics.enabled=false)`);
      }
      log.info(
        {
          traces: { enabled: traces.enabled, reason: traces.reason, protocol: traces.enabled ? traces.protocol : undefined, endpoint: traces.enabled ? (traces.url ?? '(from OTEL_* or default)') : undefined },
          metrics: { endpoint: server?.url, otlpPush: metrics.settings.push ? metrics.settings.protocol : false },
        },
        'telemetry',
      );
      return { metricsAddress: server?.address };
    },
    shutdown() {
      stopping ??= (async () => {
        await Promise.allSettled([tracing?.shutdown(), metrics.shutdown()]);
      })();
      return stopping;
    },
  };
}
