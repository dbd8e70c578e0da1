// Publish: one batch per call, answered when the pipeline has settled it. Over the byte
// budget it is refused at once (RESOURCE_EXHAUSTED): a unary call cannot be slowed down.
import * as grpc from '@grpc/grpc-js';
import type { PublishResponse } from '@sparkwire/proto';
import type { Decoded } from './decode';
import { describePartial, partialMessage } from './grpc-internals';
import type { ListenerContext } from './listener-context';
import { refusalError, statusError, toResponse, toServiceError } from './responses';

export function publishHandler(ctx: ListenerContext) {
  const { counters, budget, opts } = ctx;
  return (call: grpc.ServerUnaryCall<Decoded, PublishResponse>, callback: grpc.sendUnaryData<PublishResponse>) => {
    const denied = ctx.refuseAuth(call.metadata);
    if (denied) return callback(denied);
    if (ctx.draining) return callback(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; retry on the next one'));
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
    ctx.track();
    opts.pipeline.publish(d.request, d.bytes, d.rawEvents).then(
      (r) => callback(null, toResponse(r)),
      (err) => callback(toServiceError(err)),
    ).finally(() => {
      budget.release(d.bytes);
      ctx.track();
    });
  };
}
