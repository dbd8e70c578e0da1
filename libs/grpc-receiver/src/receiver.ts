// The gRPC server: ListenerService, grpc.health.v1 (with the sink as a dependency) and
// server reflection, on loopback unless configured otherwise.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { descriptorSet } from '@sparkwire/proto';
import type { Pipeline } from '@sparkwire/pipeline';
import { tokenCheck } from './auth';
import { guardUnary, type ExtraService } from './extra-services';
import { createRequestDecoder, type DecodeLimits } from './decode';
import { createListenerService, listenerServiceDefinitionWith, type ReceiverCounters, type ReceiverLogger } from './listener-service';
import { addReflection } from './reflection';
import { RECEIVER_DEFAULTS, type ReceiverSettings } from './config';

export const LISTENER_SERVICE_NAME = 'sparkwire.v1.ListenerService';
const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

export interface ReceiverTls {
  certFile: string;
  keyFile: string;
  /** With a CA, clients must present a certificate signed by it (mutual TLS). */
  caFile?: string;
}

/** The configured settings (config.ts: receiverSettings of the `server` section) and what the receiver works with. */
export interface ReceiverOptions extends ReceiverSettings {
  pipeline: Pipeline;
  log: ReceiverLogger;
  /** Name of the sink's health entry, e.g. "sparkwire.kafka". */
  sinkHealthName: string;
  /** Further unary services (OffsetsService), with the same token check; SERVING in health. */
  services?: ExtraService[];
}

export interface Receiver {
  /** The bound port (useful with port 0). */
  port: number;
  address: string;
  counters: ReceiverCounters;
  health: HealthImplementation;
  /**
   * The sink's health entry follows `ready`; ListenerService follows `accepting` (default:
   * `ready`). With the spool, Kafka can be down while batches are still accepted.
   */
  setSinkReady(ready: boolean, accepting?: boolean): void;
  /** Refuses new batches, lets in-flight ones finish until the deadline, then closes. */
  shutdown(deadlineMs: number): Promise<void>;
}

export async function startReceiver(opts: ReceiverOptions): Promise<Receiver> {
  const server = new grpc.Server({
    // Our own max_batch_bytes check names the limit; grpc's cap just stops absurd frames.
    'grpc.max_receive_message_length': opts.maxBatchBytes + 1024 * 1024,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_permit_without_calls': 1,
    // A connection without calls is closed after the idle timeout; one connection holds at most
    // 1000 streams (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS), so a client that never half-closes
    // streams the server has ended cannot pile them up.
    'grpc.max_connection_idle_ms': opts.idleStreamTimeoutMs ?? RECEIVER_DEFAULTS.idleStreamTimeoutMs,
    'grpc.max_concurrent_streams': 1000,
  });
  const counters: ReceiverCounters = { openStreams: 0, authFailures: 0, malformedFrames: 0, inFlightBytes: 0, inFlightBytesPeak: 0, busyRefusals: 0, streamLimitRefusals: 0, idleStreamsClosed: 0 };
  const listener = createListenerService(
    {
      pipeline: opts.pipeline,
      auth: tokenCheck(opts.token),
      log: opts.log,
      maxInFlightPerStream: opts.maxInFlightPerStream,
      maxInFlightBytes: opts.maxInFlightBytes,
      maxStreamsPerClient: opts.maxStreamsPerClient,
      maxStreams: opts.maxStreams,
      idleStreamTimeoutMs: opts.idleStreamTimeoutMs,
    },
    counters,
  );
  server.addService(listenerServiceDefinitionWith(createRequestDecoder({ ...opts.decodeLimits, maxBatchBytes: opts.maxBatchBytes })), listener.implementation);
  let draining = false;
  const auth = tokenCheck(opts.token);
  for (const s of opts.services ?? []) {
    server.addService(s.definition, guardUnary(s.implementation, auth, () => counters.authFailures++, () => draining));
  }

  const health = new HealthImplementation({
    '': 'SERVING',
    [LISTENER_SERVICE_NAME]: 'NOT_SERVING',
    [opts.sinkHealthName]: 'NOT_SERVING',
    ...Object.fromEntries((opts.services ?? []).map((s) => [s.name, s.serving === false ? ('NOT_SERVING' as const) : ('SERVING' as const)])),
  });
  health.addToServer(server);
  // Reflection serves protoc's own descriptors (libs/proto/src/gen/descriptor-set.ts), so that
  // strict clients (grpcurl) accept them; health is described and callable through it too.
  addReflection(server, descriptorSet(), [LISTENER_SERVICE_NAME, HEALTH_SERVICE_NAME, ...(opts.services ?? []).map((s) => s.name)]);

  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(
        opts.tls.caFile ? readFileSync(opts.tls.caFile) : null,
        [{ cert_chain: readFileSync(opts.tls.certFile), private_key: readFileSync(opts.tls.keyFile) }],
        Boolean(opts.tls.caFile),
      )
    : grpc.ServerCredentials.createInsecure();
  const hostPort = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(hostPort, credentials, (err, p) => (err ? reject(new Error(`server.port: cannot listen on ${hostPort}: ${err.message}`)) : resolve(p))),
  );

  const setSinkReady = (ready: boolean, accepting = ready) => {
    health.setStatus(opts.sinkHealthName, ready ? 'SERVING' : 'NOT_SERVING');
    if (!draining) health.setStatus(LISTENER_SERVICE_NAME, accepting ? 'SERVING' : 'NOT_SERVING');
  };
  setSinkReady(opts.pipeline.sink.isReady());

  return {
    port,
    address: opts.host.includes(':') ? `[${opts.host}]:${port}` : `${opts.host}:${port}`,
    counters,
    health,
    setSinkReady,
    async shutdown(deadlineMs) {
      listener.startDraining();
      draining = true;
      for (const s of opts.services ?? []) health.setStatus(s.name, 'NOT_SERVING');
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(LISTENER_SERVICE_NAME, 'NOT_SERVING');
      const graceful = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), deadlineMs).unref());
      if ((await Promise.race([graceful, timer])) === 'timeout') server.forceShutdown();
    },
  };
}
