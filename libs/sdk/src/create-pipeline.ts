// Builds the pipeline and its sink from the configuration object. This is the embedded
// SDK's entry point: a Node program gets exactly the sidecar's pipeline, without gRPC.
import { encoderFor } from '@sparkwire/encoding';
import { FileSink } from '@sparkwire/file-sink';
import { KafkaSink, type KafkaSinkEvents } from '@sparkwire/kafka-sink';
import { Pipeline, type Sink } from '@sparkwire/pipeline';
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
  /** Starts the sink (never throws for an unreachable Kafka; see sink.isReady()). */
  start(): Promise<void>;
  /** Waits for publishes in flight, then closes the sink and flushes traces and metrics. */
  close(): Promise<void>;
}

export interface PipelineHooks extends KafkaSinkEvents {
  logger?: Logger;
  /** Where OTEL_* variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function createPipeline(input: SparkwireConfigInput | SparkwireConfig, hooks: PipelineHooks = {}): BuiltPipeline {
  const config = parseConfig(input);
  const log = hooks.logger ?? createLogger(config.logLevel);
  const telemetry = createTelemetry(config, log.child({ component: 'telemetry' }), hooks.env);
  const { sink, healthName } = createSink(config, log, {
    ...hooks,
    onSend: (records, ms) => {
      telemetry.recordKafkaSend(records, ms);
      hooks.onSend?.(records, ms);
    },
  });
  // The file sink stores lines of text, so it always gets the JSON encoding.
  const encoder = encoderFor(config.kafka ? config.kafka.encoding : 'json');
  const pipeline = new Pipeline({
    extended: config.extended,
    limits: { maxBatchEvents: config.server.maxBatchEvents, maxBatchBytes: config.server.maxBatchBytes },
    route: {
      topic: config.kafka?.topic ?? 'file',
      tasksTopic: config.kafka?.tasksTopic,
      key: config.kafka?.key ?? 'appId',
    },
    encoder,
    sink,
    dedupe: { batchWindow: config.dedupeBatchWindow, eventWindow: config.dedupeEventWindow },
    ackTimeoutMs: config.ackTimeoutMs,
    observers: telemetry.observers,
  });
  telemetry.bind({ stats: pipeline.stats, sink, observerNames: telemetry.observers.map((o) => o.name) });
  return {
    config,
    pipeline,
    sink,
    sinkHealthName: healthName,
    telemetry,
    start: () => sink.start(),
    async close() {
      await pipeline.drain();
      // Every published event has been observed: open spans can be closed and flushed.
      await Promise.all([sink.close(), telemetry.shutdown()]);
    },
  };
}

function createSink(config: SparkwireConfig, log: Logger, hooks: PipelineHooks): { sink: Sink; healthName: string } {
  const k = config.kafka;
  if (!k) return { sink: new FileSink(config.file), healthName: 'sparkwire.file' };
  const topics = [k.topic, ...(k.tasksTopic ? [k.tasksTopic] : [])].map((name) => ({
    name,
    partitions: k.partitions,
    replicationFactor: k.replicationFactor,
  }));
  const sink = new KafkaSink(
    {
      brokers: k.brokers,
      clientId: k.clientId,
      compression: k.compression,
      topics,
      createTopics: k.createTopics,
      maxBatchRecords: k.maxBatchRecords,
      maxRequestBytes: k.maxRequestBytes,
      connectTimeoutMs: k.connectTimeoutMs,
      requestTimeoutMs: k.requestTimeoutMs,
      retries: k.retries,
      tls: k.tls
        ? { enabled: true, caFile: k.tlsCaFile, certFile: k.tlsCertFile, keyFile: k.tlsKeyFile, rejectUnauthorized: k.tlsRejectUnauthorized }
        : undefined,
      sasl: k.saslMechanism ? { mechanism: k.saslMechanism, username: k.saslUsername!, password: k.saslPassword! } : undefined,
    },
    log.child({ component: 'kafka-sink' }),
    hooks,
  );
  return { sink, healthName: 'sparkwire.kafka' };
}
