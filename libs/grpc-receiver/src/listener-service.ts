// ListenerService over a Pipeline: Publish (one batch) and Stream (many, acked in order).
import * as grpc from '@grpc/grpc-js';
import { ListenerServiceService, PublishAck, PublishResponse } from '@sparkwire/proto';
import { PipelineError, type Pipeline, type PublishResult } from '@sparkwire/pipeline';
import type { TokenCheck } from './auth';
import { decodePublishRequest, type Decoded, type DecodeRefusal } from './decode';
import { InFlightBudget, StreamRegistry } from './limits';
import { describePartial, partialMessage } from './partial-message';

export interface ReceiverLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ListenerServiceOptions {
  pipeline: Pipeline;
  auth: TokenCheck;
  log: ReceiverLogger;
  /** Batches a stream may have in flight before the server stops reading it (flow control). */
  maxInFlightPerStream: number;
  /** Bytes of batches in flight over all calls: streams stop being read beyond it, Publish gets RESOURCE_EXHAUSTED. */
  maxInFlightBytes?: number;
  /** Open streams per client_id (the first batch names it). */
  maxStreamsPerClient?: number;
  /** Open streams in total. */
  maxStreams?: number;
  /** A stream with no batch and nothing in flight for this long is ended with UNAVAILABLE. */
  idleStreamTimeoutMs?: number;
}

export interface ReceiverCounters {
  openStreams: number;
  authFailures: number;
  malformedFrames: number;
  /** Bytes of batches in flight now, and the most seen. */
  inFlightBytes?: number;
  inFlightBytesPeak?: number;
  /** Publish calls refused because maxInFlightBytes was reached. */
  busyRefusals?: number;
  /** Streams refused by maxStreams / maxStreamsPerClient. */
  streamLimitRefusals?: number;
  /** Streams ended for being idle. */
  idleStreamsClosed?: number;
}

/** The service definition with our decoder (decode.ts, with its limits) in place of the generated one. */
export function listenerServiceDefinitionWith(decode: (buf: Buffer) => Decoded): grpc.ServiceDefinition {
  return {
    publish: { ...ListenerServiceService.publish, requestDeserialize: decode },
    stream: { ...ListenerServiceService.stream, requestDeserialize: decode },
  } as unknown as grpc.ServiceDefinition;
}

/** The service definition with the default decode limits. */
export const listenerServiceDefinition = listenerServiceDefinitionWith(decodePublishRequest);

/** The status for a refused frame: malformed ones say so, limits speak for themselves. */
function refusalError(d: DecodeRefusal): grpc.ServiceError {
  if (d.code === grpc.status.INVALID_ARGUMENT) return statusError(d.code, `request: not a valid sparkwire.v1.PublishRequest (${d.error})`);
  return statusError(d.code, d.error);
}

export interface ListenerServiceHandle {
  implementation: grpc.UntypedServiceImplementation;
  /** Shutdown: new batches are refused with UNAVAILABLE while in-flight ones finish. */
  startDraining(): void;
}

export function createListenerService(opts: ListenerServiceOptions, counters: ReceiverCounters): ListenerServiceHandle {
  const { pipeline, log } = opts;
  let draining = false;
  // Open streams, so shutdown can end each once its in-flight batches are acked.
  const streams = new Set<() => void>();
  const budget = new InFlightBudget(opts.maxInFlightBytes ?? Number.MAX_SAFE_INTEGER);
  const registry = new StreamRegistry(opts.maxStreamsPerClient ?? Number.MAX_SAFE_INTEGER);
  const idleMs = opts.idleStreamTimeoutMs ?? 0;
  const track = () => {
    counters.inFlightBytes = budget.used;
    counters.inFlightBytesPeak = budget.peak;
  };

  const refuseAuth = (md: grpc.Metadata): grpc.ServiceError | undefined => {
    const verdict = opts.auth(md);
    if (verdict === 'ok') return undefined;
    counters.authFailures++;
    return statusError(grpc.status.UNAUTHENTICATED, verdict === 'missing' ? 'authorization: bearer token required' : 'authorization: token not accepted');
  };

  const publish = (call: grpc.ServerUnaryCall<Decoded, PublishResponse>, callback: grpc.sendUnaryData<PublishResponse>) => {
    const denied = refuseAuth(call.metadata);
    if (denied) return callback(denied);
    if (draining) return callback(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; retry on the next one'));
    const d = call.request;
    if (!d.ok) {
      if (d.code === grpc.status.INVALID_ARGUMENT) counters.malformedFrames++;
      return callback(refusalError(d));
    }
    // grpc-js served the first message; bytes of another, incomplete one after it are an error too.
    const partial = partialMessage(call);
    if (partial) {
      counters.malformedFrames++;
      return callback(statusError(grpc.status.INVALID_ARGUMENT, `request: not a valid sparkwire.v1.PublishRequest (${describePartial(partial)})`));
    }
    if (!budget.tryAcquire(d.bytes)) {
      counters.busyRefusals = (counters.busyRefusals ?? 0) + 1;
      return callback(
        statusError(grpc.status.RESOURCE_EXHAUSTED, `sidecar busy: ${budget.used} bytes of batches in flight (server.maxInFlightBytes ${budget.max}); retry later`),
      );
    }
    track();
    pipeline.publish(d.request, d.bytes, d.rawEvents).then(
      (r) => callback(null, toResponse(r)),
      (err) => callback(toServiceError(err)),
    ).finally(() => {
      budget.release(d.bytes);
      track();
    });
  };

  const stream = (call: grpc.ServerDuplexStream<Decoded, PublishAck>) => {
    const denied = refuseAuth(call.metadata);
    if (denied) {
      call.emit('error', denied);
      return;
    }
    if (counters.openStreams >= (opts.maxStreams ?? Number.MAX_SAFE_INTEGER)) {
      counters.streamLimitRefusals = (counters.streamLimitRefusals ?? 0) + 1;
      call.emit('error', statusError(grpc.status.RESOURCE_EXHAUSTED, `too many open streams (server.maxStreams ${opts.maxStreams}); retry later`));
      return;
    }
    counters.openStreams++;
    // Read at most one batch ahead of what is being processed (grpc-js would buffer 16).
    const readable = (call as unknown as { _readableState?: { highWaterMark: number } })._readableState;
    if (readable) readable.highWaterMark = 1;
    let inFlight = 0;
    let failed = false;
    let ended = false;
    // A malformed frame was read: later frames are ignored, and the stream ends with its
    // status once the batches before it are acked.
    let closing = false;
    // A batch was refused with a retryable status (sink full or unreachable): the stream ends
    // once the acks before it are out, and the client resends from that batch, in order. Until
    // then no later batch may be published: it would reach Kafka before the refused one (Spark
    // order per partition, docs/reliability.md). Set as soon as the refusal is known, not when
    // its turn in the ack order comes (that waits for the writes of the batches before it).
    let refusedRetryable = false;
    let clientId: string | undefined;
    let paused = false;
    let ackBacklog = false;
    let lastActivity = Date.now();
    let idleTimer: NodeJS.Timeout | undefined;
    let stopWaitingForBudget: (() => void) | undefined;
    // Acks go out in the order batches came in, however publishes finish.
    let acks: Promise<void> = Promise.resolve();
    const release = () => {
      clearTimeout(idleTimer);
      stopWaitingForBudget?.();
      stopWaitingForBudget = undefined;
      if (clientId !== undefined) registry.remove(clientId);
      clientId = undefined;
    };
    const finish = (err?: grpc.ServiceError) => {
      if (ended) return;
      ended = true;
      counters.openStreams--;
      streams.delete(onDrain);
      release();
      if (err) call.emit('error', err);
      else call.end();
    };
    // Flow control: stop reading while this stream has its maximum of batches in flight,
    // while all streams together hold maxInFlightBytes, or while the client does not read
    // its acks. The client's window then fills and its own buffer takes the strain.
    const updateFlow = () => {
      if (ended) return;
      const overBudget = budget.over;
      const stop = inFlight >= opts.maxInFlightPerStream || overBudget || ackBacklog;
      if (overBudget && !stopWaitingForBudget) stopWaitingForBudget = budget.onFree(() => updateFlow());
      if (!overBudget && stopWaitingForBudget) {
        stopWaitingForBudget();
        stopWaitingForBudget = undefined;
      }
      if (stop && !paused) {
        paused = true;
        call.pause();
      } else if (!stop && paused) {
        paused = false;
        call.resume();
      }
    };
    const armIdle = () => {
      if (idleMs <= 0 || ended) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (ended) return;
        if (inFlight > 0 || paused || Date.now() - lastActivity < idleMs) return armIdle();
        counters.idleStreamsClosed = (counters.idleStreamsClosed ?? 0) + 1;
        failed = true;
        finish(statusError(grpc.status.UNAVAILABLE, `stream idle for ${idleMs} ms (server.idleStreamTimeoutMs); reconnect when there is something to send`));
      }, Math.max(10, lastActivity + idleMs - Date.now()));
      idleTimer.unref();
    };
    armIdle();
    const onDrain = () => {
      void acks.then(() => finish(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; resend unacked batches to the next one')));
    };
    streams.add(onDrain);

    const writeAck = (ack: PublishAck) => {
      if (failed || ended || call.write(ack) || ackBacklog) return;
      ackBacklog = true;
      call.once('drain', () => {
        ackBacklog = false;
        updateFlow();
      });
    };
    const endAfterAcks = (err: grpc.ServiceError) => {
      closing = true;
      void acks.then(() => {
        failed = true;
        finish(err);
      });
    };

    call.on('data', (d: Decoded) => {
      if (failed || closing || refusedRetryable) return;
      if (draining) {
        failed = true;
        return finish(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; resend unacked batches to the next one'));
      }
      if (!d.ok) {
        lastActivity = Date.now();
        const batch = d.batch;
        if (batch) {
          // Well-formed but over a limit: refused like any batch refused for its content,
          // acked in order with the code (the client must not resend it), the stream goes on.
          log.warn({ clientId: batch.clientId, batchSeq: batch.batchSeq, code: d.code, error: d.error }, 'batch refused');
          const ack: PublishAck = { batchSeq: batch.batchSeq, accepted: 0, duplicates: 0, taskEventsWanted: pipeline.taskEventsWanted, errorCode: d.code, errorMessage: d.error };
          acks = acks.then(() => writeAck(ack));
          return;
        }
        if (d.code === grpc.status.INVALID_ARGUMENT) counters.malformedFrames++;
        return endAfterAcks(refusalError(d));
      }
      const req = d.request;
      lastActivity = Date.now();
      if (clientId === undefined && req.clientId) {
        if (!registry.add(req.clientId)) {
          counters.streamLimitRefusals = (counters.streamLimitRefusals ?? 0) + 1;
          failed = true;
          return finish(
            statusError(grpc.status.RESOURCE_EXHAUSTED, `client ${req.clientId} already has ${registry.maxPerClient} open streams (server.maxStreamsPerClient); close one or retry later`),
          );
        }
        clientId = req.clientId;
      }
      budget.acquire(d.bytes);
      track();
      const outcome = pipeline.publish(req, d.bytes, d.rawEvents);
      void outcome
        .catch((err) => {
          if (!(err instanceof PipelineError && !err.retryable)) refusedRetryable = true;
        })
        .finally(() => {
          budget.release(d.bytes);
          track();
        });
      inFlight++;
      updateFlow();
      acks = acks.then(async () => {
        let ack: PublishAck | undefined;
        try {
          ack = toAck(await outcome);
        } catch (err) {
          if (err instanceof PipelineError && !err.retryable) {
            ack = { batchSeq: req.batchSeq, accepted: 0, duplicates: 0, taskEventsWanted: pipeline.taskEventsWanted, errorCode: err.code, errorMessage: err.message };
            log.warn({ clientId: req.clientId, batchSeq: req.batchSeq, code: err.code, error: err.message }, 'batch refused');
          } else if (!failed) {
            // Retryable: end the stream so the client resends from its oldest unacked batch.
            failed = true;
            finish(toServiceError(err));
          }
        }
        inFlight--;
        lastActivity = Date.now();
        if (ack) writeAck(ack);
        updateFlow();
      });
    });
    call.on('end', () => {
      if (closing) return;
      // Bytes of an incomplete last message: say so rather than end OK (its batch was never read).
      const partial = partialMessage(call);
      if (partial) {
        counters.malformedFrames++;
        return endAfterAcks(statusError(grpc.status.INVALID_ARGUMENT, `request: ${describePartial(partial)}; that batch was not read (resend it whole)`));
      }
      void acks.then(() => finish());
    });
    call.on('error', () => finish());
    call.on('cancelled', () => {
      if (!ended) {
        ended = true;
        counters.openStreams--;
        streams.delete(onDrain);
        release();
      }
    });
  };

  return {
    implementation: { publish, stream } as unknown as grpc.UntypedServiceImplementation,
    startDraining: () => {
      draining = true;
      for (const end of [...streams]) end();
    },
  };
}

function toResponse(r: PublishResult): PublishResponse {
  return { batchSeq: r.batchSeq, accepted: r.accepted, duplicates: r.duplicates, taskEventsWanted: r.taskEventsWanted };
}

function toAck(r: PublishResult): PublishAck {
  return { ...toResponse(r), errorCode: 0, errorMessage: '' };
}

function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

function toServiceError(err: unknown): grpc.ServiceError {
  if (err instanceof PipelineError) return statusError(err.code as number as grpc.status, err.message);
  return statusError(grpc.status.INTERNAL, `internal error: ${(err as Error).message}`);
}

