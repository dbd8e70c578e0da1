// The whole sidecar as a library: pipeline + sink + gRPC receiver, started and stopped
// together. apps/sidecar only adds config sources, signals and the CLI on top.
import { receiverSettings, startReceiver, type Receiver } from '@sparkwire/grpc-receiver';
import { createOffsetsService } from '@sparkwire/offsets';
import { OFFSETS_PROTO } from '@sparkwire/proto';
import { parseConfig, type SparkwireConfig, type SparkwireConfigInput } from './config';
import { createPipeline, type BuiltPipeline } from './create-pipeline';
import type { DrainerState, SpoolingSink } from '@sparkwire/spool';
import { startStatusServer, type SidecarView, type StatusServer } from '@sparkwire/status-page';
import { PipelineStats } from '@sparkwire/pipeline';
import { createLogger, type Logger } from './logger';
import { SIDECAR_READY_MESSAGE } from './ready';

export interface Sidecar {
  built: BuiltPipeline;
  receiver: Receiver;
  /** host:port the gRPC server listens on. */
  address: string;
  /** host:port of the Prometheus endpoint, when it is served. */
  metricsAddress?: string;
  /** http://host:port/status of the status page, when status.enabled. */
  statusUrl?: string;
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
  let spoolTimer: NodeJS.Timeout | undefined;
  let statusServer: StatusServer | undefined;
  let stopping: Promise<void> | undefined;
  /** Stop accepting, flush, close: what stop() does, and what a failed start does with what it started. */
  const shutdown = () =>
    (stopping ??= (async () => {
      clearInterval(spoolTimer);
      await statusServer?.close();
      const deadline = config.shutdownDeadlineMs;
      const started = Date.now();
      await receiver?.shutdown(deadline);
      if (built.spool) receiver?.health.setStatus(SPOOL_HEALTH_NAME, 'NOT_SERVING');
      const left = Math.max(0, deadline - (Date.now() - started));
      // The spool publishes until shortly before the deadline; what is left stays on disk.
      built.spool?.setCloseDeadline(started + deadline - Math.min(1000, deadline / 4));
      const closed = built.close().then(() => 'closed' as const);
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left).unref());
      const how = await Promise.race([closed, timeout]);
      log.info({ how, ms: Date.now() - started, stats: built.pipeline.stats.snapshot(), spool: built.spool?.stats(), traces: built.telemetry.tracing?.stats() }, 'sparkwire sidecar stopped');
    })());
  try {
    receiver = await startReceiver({
      ...receiverSettings(config.server),
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
    if (built.spool) spoolTimer = watchSpool(built.spool, receiver, log);
    if (built.status) {
      const view = sidecarView(built, receiver);
      try {
        statusServer = await startStatusServer({ ...config.status, token: config.server.token, state: built.status, sidecar: view });
      } catch (err) {
        const at = config.status.host.includes(':') ? `[${config.status.host}]:${config.status.port}` : `${config.status.host}:${config.status.port}`;
        throw new Error(`status.port: cannot listen on ${at}: ${(err as Error).message} (set another status.port, 0 for a free one, or status.enabled=false)`);
      }
    }
    log.info(
      {
        address: receiver.address,
        metricsAddress,
        statusUrl: statusServer?.url,
        sink: built.sink.name,
        sinkReady: built.backendReady(),
        spool: built.spool ? { dir: built.spool.dir, fsync: config.spool.fsync, replaying: built.spool.recovered?.tail.entries ?? 0 } : false,
        extended: config.extended,
        tls: Boolean(config.server.tlsCertFile),
        auth: Boolean(config.server.token),
        traces: built.telemetry.traces.enabled,
        offsets: Boolean(built.offsets),
      },
      SIDECAR_READY_MESSAGE,
    );

    return {
      built,
      receiver,
      address: receiver.address,
      metricsAddress,
      statusUrl: statusServer?.url,
      stop: shutdown,
    };
  } catch (err) {
    // A port that cannot be bound (gRPC or metrics) ends the start, whatever the sink: close
    // what did start (Kafka clients, the spool) so the process can exit with the error.
    log.error({ err: (err as Error).message }, 'sparkwire sidecar failed to start');
    await shutdown().catch(() => undefined);
    throw err;
  }
}

/** What the status page shows of the sidecar itself: health entries, spool, Kafka, drops on both sides. */
function sidecarView(built: BuiltPipeline, receiver: Receiver): () => SidecarView {
  const startedMs = Date.now();
  return () => {
    const st = built.pipeline.stats;
    const sp = built.spool?.stats();
    const health: Record<string, string> = {
      [built.sinkHealthName]: built.backendReady() ? 'SERVING' : 'NOT_SERVING',
      'sparkwire.v1.ListenerService': built.sink.isReady() ? 'SERVING' : 'NOT_SERVING',
    };
    if (sp) health[SPOOL_HEALTH_NAME] = SPOOL_OK.has(sp.drainer) ? 'SERVING' : 'NOT_SERVING';
    const sidecarDrops: Record<string, number> = {};
    for (const [k, v] of st.rejected) sidecarDrops[`refused ${k}`] = v;
    if (sp?.deadLetter.records) sidecarDrops['dead-lettered (refused by Kafka after ack)'] = sp.deadLetter.records;
    return {
      startedMs,
      sink: built.sinkHealthName,
      health,
      spool: sp && { drainer: sp.drainer, pendingEntries: sp.pendingEntries, bytes: sp.bytes, maxBytes: sp.maxBytes, oldestPendingMs: sp.oldestPendingMs, accepting: sp.accepting, lastError: sp.lastPublishError },
      events: { received: PipelineStats.total(st.received), published: PipelineStats.total(st.published), duplicates: PipelineStats.total(st.duplicates), filtered: PipelineStats.total(st.filtered) },
      sidecarDrops,
      clients: [...st.clients.values()],
      openStreams: receiver.counters.openStreams,
    };
  };
}

/** Health entry of the spool drainer: SERVING while it keeps up (idle, draining, reading back). */
export const SPOOL_HEALTH_NAME = 'sparkwire.spool';
const SPOOL_OK = new Set<DrainerState>(['idle', 'draining', 'reading_back']);

/** Every second: the drainer's state into health, and a log line when it changes (with the last error and the depth). */
function watchSpool(spool: SpoolingSink, receiver: Receiver, log: Logger): NodeJS.Timeout {
  let last: DrainerState | undefined;
  const check = () => {
    const s = spool.stats();
    receiver.health.setStatus(SPOOL_HEALTH_NAME, SPOOL_OK.has(s.drainer) ? 'SERVING' : 'NOT_SERVING');
    if (s.drainer === last) return;
    const fields = { drainer: s.drainer, previous: last, pendingEntries: s.pendingEntries, bytes: s.bytes, oldestPendingMs: s.oldestPendingMs, lastError: s.lastPublishError };
    if (SPOOL_OK.has(s.drainer) || last === undefined) log.info(fields, 'spool drainer state');
    else log.warn(fields, 'spool drainer state');
    last = s.drainer;
  };
  check();
  const timer = setInterval(check, 1000);
  timer.unref();
  return timer;
}
