// The whole sidecar as a library: pipeline + sink + gRPC receiver, started and stopped
// together. apps/sidecar only adds config sources, signals and the CLI on top.
import { startReceiver, type Receiver } from '@sparkwire/grpc-receiver';
import { createOffsetsService } from '@sparkwire/offsets';
import { OFFSETS_PROTO } from '@sparkwire/proto';
import { parseConfig, type SparkwireConfig, type SparkwireConfigInput } from './config';
import { createPipeline, type BuiltPipeline } from './create-pipeline';
import { createLogger, type Logger } from './logger';

export interface Sidecar {
  built: BuiltPipeline;
  receiver: Receiver;
  /** host:port the gRPC server listens on. */
  address: string;
  /** host:port of the Prometheus endpoint, when it is served. */
  metricsAddress?: string;
  /** Stop accepting, flush in-flight batches, close; bounded by config.shutdownDeadlineMs. */
  stop(): Promise<void>;
}

export async function startSidecar(input: SparkwireConfigInput | SparkwireConfig, logger?: Logger): Promise<Sidecar> {
  const config = parseConfig(input);
  const log = logger ?? createLogger(config.logLevel);
  let receiver: Receiver | undefined;
  // Health: the sink entry (sparkwire.kafka) follows Kafka itself; ListenerService follows
  // whether batches are accepted, which with the spool holds while Kafka is down.
  const updateHealth = () => receiver?.setSinkReady(built.backendReady(), built.sink.isReady());
  const built: BuiltPipeline = createPipeline(config, { logger: log, onReadyChange: updateHealth, onAcceptingChange: updateHealth });
  await built.start();
  receiver = await startReceiver({
    host: config.server.host,
    port: config.server.port,
    token: config.server.token,
    tls: config.server.tlsCertFile ? { certFile: config.server.tlsCertFile, keyFile: config.server.tlsKeyFile!, caFile: config.server.tlsCaFile } : undefined,
    maxBatchBytes: config.server.maxBatchBytes,
    maxInFlightPerStream: config.server.maxInFlightPerStream,
    maxInFlightBytes: config.server.maxInFlightBytes,
    maxStreamsPerClient: config.server.maxStreamsPerClient,
    maxStreams: config.server.maxStreams,
    idleStreamTimeoutMs: config.server.idleStreamTimeoutMs,
    pipeline: built.pipeline,
    log: log.child({ component: 'grpc' }),
    sinkHealthName: built.sinkHealthName,
    // Always served: without offsets.enabled its calls say how to turn it on.
    services: [{ ...createOffsetsService(built.offsets), protoFile: OFFSETS_PROTO, serving: Boolean(built.offsets) }],
  });
  updateHealth();
  const rc = receiver.counters;
  built.telemetry.bind({ receiver: () => rc });
  const { metricsAddress } = await built.telemetry.start();
  log.info(
    {
      address: receiver.address,
      metricsAddress,
      sink: built.sink.name,
      sinkReady: built.backendReady(),
      spool: built.spool ? { dir: config.spool.dir, fsync: config.spool.fsync, replaying: built.spool.recovered?.tail.entries ?? 0 } : false,
      extended: config.extended,
      tls: Boolean(config.server.tlsCertFile),
      auth: Boolean(config.server.token),
      traces: built.telemetry.traces.enabled,
      offsets: Boolean(built.offsets),
    },
    'sparkwire sidecar listening',
  );

  let stopping: Promise<void> | undefined;
  return {
    built,
    receiver,
    address: receiver.address,
    metricsAddress,
    stop() {
      stopping ??= (async () => {
        const deadline = config.shutdownDeadlineMs;
        const started = Date.now();
        await receiver!.shutdown(deadline);
        const left = Math.max(0, deadline - (Date.now() - started));
        // The spool publishes until shortly before the deadline; what is left stays on disk.
        built.spool?.setCloseDeadline(started + deadline - Math.min(1000, deadline / 4));
        const closed = built.close().then(() => 'closed' as const);
        const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left).unref());
        const how = await Promise.race([closed, timeout]);
        log.info({ how, ms: Date.now() - started, stats: built.pipeline.stats.snapshot(), spool: built.spool?.stats(), traces: built.telemetry.tracing?.stats() }, 'sparkwire sidecar stopped');
      })();
      return stopping;
    },
  };
}
