// What the ListenerService answers: responses and acks from a pipeline result, and the
// gRPC statuses of refusals and failures.
import * as grpc from '@grpc/grpc-js';
import type { PublishAck, PublishResponse } from '@sparkwire/proto';
import { PipelineError, type PublishResult } from '@sparkwire/pipeline';
import type { DecodeRefusal } from './decode';

export function toResponse(r: PublishResult): PublishResponse {
  return { batchSeq: r.batchSeq, accepted: r.accepted, duplicates: r.duplicates, taskEventsWanted: r.taskEventsWanted };
}

export function toAck(r: PublishResult): PublishAck {
  return { ...toResponse(r), errorCode: 0, errorMessage: '' };
}

export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

export function toServiceError(err: unknown): grpc.ServiceError {
  if (err instanceof PipelineError) return statusError(err.code as number as grpc.status, err.message);
  return statusError(grpc.status.INTERNAL, `internal error: ${(err as Error).message}`);
}

/** The status for a refused frame: malformed ones say so, limits speak for themselves. */
export function refusalError(d: DecodeRefusal): grpc.ServiceError {
  if (d.code === grpc.status.INVALID_ARGUMENT) return statusError(d.code, `request: not a valid sparkwire.v1.PublishRequest (${d.error})`);
  return statusError(d.code, d.error);
}
