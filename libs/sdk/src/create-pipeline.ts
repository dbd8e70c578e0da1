// Builds the pipeline and its sink from the configuration object. This is the embedded
// SDK's entry point: a Node program gets exactly the sidecar's pipeline, without gRPC.
import { resolve } from 'node:path';
import { encoderFor } from '@sparkwire/encoding';
import { FileSink } from '@sparkwire/file-sink';
import { KafkaSink, kafkaSinkConfig, type KafkaSinkEvents } from '@sparkwire/kafka-sink';
import { Pipeline, pipelineSettings, type Sink } from '@sparkwire/pipeline';
import { Offsets, offsetsConfig, offsetsConnection, STATUS_NAMES } from '@sparkwire/offsets';
import { defaultSpoolDir, SpoolingSink, spoolSectionSettings } from '@sparkwire/spool';
import { StatusState } from '@sparkwire/status-page';
import { METER_NAME, OffsetMetrics } from '@sparkwire/otel-metrics';
import { parseConfig, type SparkwireConfig, type SparkwireConfigInput } from './config';
import { createLogger, type Logger } from './logger';
import { createTelemetry, type Telemetry } from './telemetry';

export interface BuiltPipeline {
  config: SparkwireConfig;
  pipeline: Pipeline;
  sink: Sink;
  /** "sparkwire.kafka" or "sparkwire.file": the sink's name in health checks. */
  sinkHealthName: string;
  /**
   * Traces and metrics: their observers already watch the pipeline. The Prometheus
   * endpoint is served once telemetry.start() is called (the sidecar does; an embedding
   * program may).
   */
  telemetry: Telemetry;
  /** The durable spool in front of the sink (spool.enabled; on by default with Kafka); `sink` is then this spool. */
  spool?: SpoolingSink;
  /** Readiness of the backend itself (Kafka or the file), for its health entry; the spool accepts while it is down. */
  backendReady(): boolean;
  /** Offsets (commit, fetch, lag, monitor, commit from progress) when offsets.enabled. */
  offsets?: Offsets;
  /** The status page's model (status.enabled), a pipeline observer; the sidecar serves it. */
  status?: StatusState;
  /** Starts the sink (never throws for an unreachable Kafka; see sink.isReady()). */
  start(): Promise<void>;
  /** Waits for publishes in flight, then closes the sink and flushes traces and metrics. */
  close(): Promise<void>;
}

export interface PipelineHooks extends KafkaSinkEvents {
  logger?: Logger;
  /** Where OTEL_* variables and the spool's state directory variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The spool started or stopped accepting batches (its byte cap). */
  onAcceptingChange?: (accepting: boolean) => void;
}

export function createPipeline(input: SparkwireConfigInput | SparkwireConfig, hooks: PipelineHooks = {}): BuiltPipeline {
  const config = parseConfig(input);
  const log = hooks.logger ?? createLogger(config.logLevel);
  const telemetry = createTelemetry(config, log.child({ component: 'telemetry' }), hooks.env);
  const { sink: backend, healthName } = createSink(config, log, {
    ...hooks,
    onSend: (records, ms) => {
      telemetry.recordKafkaSend(records, ms);
      hooks.onSend?.(records, ms);
    },
  });
  const spool = createSpool(config, backend, log, hooks);
  const sink: Sink = spool ?? backend;
  const offsets = createOffsets(config, log);
  const status = config.status.enabled ? new StatusState(config.status) : undefined;
  const observers = [...telemetry.observers, ...(offsets ? [offsets.progress] : []), ...(status ? [status] : [])];
  // The file sink stores lines of text, so it always gets the JSON encoding.
  const encoder = encoderFor(config.kafka ? config.kafka.encoding : 'json');
  const pipeline = new Pipeline({
    ...pipelineSettings(config),
    limits: { maxBatchEvents: config.server.maxBatchEvents, maxBatchBytes: config.server.maxBatchBytes },
    route: {
      topic: config.kafka?.topic ?? 'file',
      tasksTopic: config.kafka?.tasksTopic,
      key: config.kafka?.key ?? 'appId',
    },
    encoder,
    sink,
    observers,
    oversize: config.kafka?.oversizeEvents,
  });
  telemetry.bind({ stats: pipeline.stats, sink: backend, observerNames: observers.map((o) => o.name), spool: spool ? () => spool.stats() : undefined, kafkaLimits: backend instanceof KafkaSink ? () => backend.topicLimits() : undefined });
  if (offsets && telemetry.metrics.meterProvider) {
    new OffsetMetrics(telemetry.metrics.meterProvider.getMeter(METER_NAME, '0.1.0')).bind({
      groups: () => offsets.monitor.snapshot().map((g) => ({ ...g, status: STATUS_NAMES[g.status] })),
      commits: () => offsets.counters.commits,
    });
  }
  return {
    config,
    pipeline,
    sink,
    sinkHealthName: healthName,
    telemetry,
    spool,
    backendReady: () => backend.isReady(),
    offsets,
    status,
    async start() {
      await sink.start();
      // Batches the last process spooled: a client resending one (its ack was lost in the
      // crash) is answered as a duplicate instead of being published again.
      if (spool) pipeline.rememberPublished(spool.takeRecoveredEventIds());
      offsets?.start();
    },
    async close() {
      await pipeline.drain();
      await offsets?.close();
      // Every published event has been observed: open spans can be closed and flushed.
      await Promise.all([sink.close(), telemetry.shutdown()]);
    },
  };
}

function createSpool(config: SparkwireConfig, backend: Sink, log: Logger, hooks: PipelineHooks): SpoolingSink | undefined {
  const s = config.spool;
  if (!(s.enabled ?? Boolean(config.kafka))) return undefined;
  const server = config.server;
  const dir = spoolDirFor(config, hooks.env);
  return new SpoolingSink(
    backend,
    {
      dir,
      ...spoolSectionSettings(s),
      removeDirWhenDrained: !s.dir && server.port === 0,
      // One publish is one produce request: the Kafka sink's own limits. In front of the file
      // sink (no kafka section, so no such settings) any chunk size does; these only bound a write.
      publishMaxRecords: config.kafka?.maxBatchRecords ?? 10_000,
      publishMaxBytes: config.kafka?.maxRequestBytes ?? 4 * 1024 * 1024,
      recoverEventIds: config.dedupeEventWindow,
      closeDrainMs: Math.max(500, config.shutdownDeadlineMs - 1000),
      // Kafka sends bytes: the spool hands it the spooled bytes, not the strings (no second UTF-8 encoding).
      valuesAsBytes: backend instanceof KafkaSink,
    },
    log.child({ component: 'spool' }),
    { onAcceptingChange: hooks.onAcceptingChange },
  );
}

/**
 * The spool directory the configuration gives, absolute: spool.dir, else the server's
 * directory under the per-user state directory (@sparkwire/spool: spool-dir.ts), which `env`
 * (default process.env) locates.
 */
export function spoolDirFor(config: SparkwireConfig, env: NodeJS.ProcessEnv = process.env): string {
  return config.spool.dir ? resolve(config.spool.dir) : defaultSpoolDir(config.server.host, config.server.port, env);
}

function createOffsets(config: SparkwireConfig, log: Logger): Offsets | undefined {
  const k = config.kafka;
  const o = config.offsets;
  if (!o.enabled || !k) return undefined;
  return Offsets.connect(offsetsConnection(k), offsetsConfig(o), log.child({ component: 'offsets' }));
}

/** The backend sink the configuration names (Kafka, else the file sink), without the spool. */
export function createSink(config: SparkwireConfig, log: Logger, hooks: PipelineHooks): { sink: Sink; healthName: string } {
  const k = config.kafka;
  if (!k) return { sink: new FileSink(config.file), healthName: 'sparkwire.file' };
  const sink = new KafkaSink(kafkaSinkConfig(k), log.child({ component: 'kafka-sink' }), hooks);
  return { sink, healthName: 'sparkwire.kafka' };
}
