// ListenerService over a Pipeline: Publish (one batch) and Stream (many, acked in order).
import * as grpc from '@grpc/grpc-js';
import { ListenerServiceService, PublishAck, PublishResponse } from '@sparkwire/proto';
import { PipelineError, type Pipeline, type PublishResult } from '@sparkwire/pipeline';
import type { TokenCheck } from './auth';
import { decodePublishRequest, type Decoded } from './decode';

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
}

export interface ReceiverCounters {
  openStreams: number;
  authFailures: number;
  malformedFrames: number;
}

/** The service definition with our decoder in place of the generated one. */
export const listenerServiceDefinition = {
  publish: { ...ListenerServiceService.publish, requestDeserialize: decodePublishRequest },
  stream: { ...ListenerServiceService.stream, requestDeserialize: decodePublishRequest },
} as unknown as grpc.ServiceDefinition;

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
      counters.malformedFrames++;
      return callback(statusError(grpc.status.INVALID_ARGUMENT, `request: not a valid sparkwire.v1.PublishRequest (${d.error})`));
    }
    pipeline.publish(d.request, d.bytes, d.rawEvents).then(
      (r) => callback(null, toResponse(r)),
      (err) => callback(toServiceError(err)),
    );
  };

  const stream = (call: grpc.ServerDuplexStream<Decoded, PublishAck>) => {
    const denied = refuseAuth(call.metadata);
    if (denied) {
      call.emit('error', denied);
      return;
    }
    counters.openStreams++;
    let inFlight = 0;
    let failed = false;
    let ended = false;
    // Acks go out in the order batches came in, however publishes finish.
    let acks: Promise<void> = Promise.resolve();
    const finish = (err?: grpc.ServiceError) => {
      if (ended) return;
      ended = true;
      counters.openStreams--;
      streams.delete(onDrain);
      if (err) call.emit('error', err);
      else call.end();
    };
    const onDrain = () => {
      void acks.then(() => finish(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; resend unacked batches to the next one')));
    };
    streams.add(onDrain);

    call.on('data', (d: Decoded) => {
      if (failed) return;
      if (draining) {
        failed = true;
        return finish(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; resend unacked batches to the next one'));
      }
      if (!d.ok) {
        counters.malformedFrames++;
        failed = true;
        return finish(statusError(grpc.status.INVALID_ARGUMENT, `request: not a valid sparkwire.v1.PublishRequest (${d.error})`));
      }
      const req = d.request;
      const outcome = pipeline.publish(req, d.bytes, d.rawEvents);
      inFlight++;
      if (inFlight >= opts.maxInFlightPerStream) call.pause();
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
        if (ack && !failed && !ended) call.write(ack);
        if (inFlight < opts.maxInFlightPerStream && !ended) call.resume();
      });
    });
    call.on('end', () => {
      void acks.then(() => finish());
    });
    call.on('error', () => finish());
    call.on('cancelled', () => {
      if (!ended) {
        ended = true;
        counters.openStreams--;
        streams.delete(onDrain);
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

