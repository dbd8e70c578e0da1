// Further unary services served next to ListenerService (sparkwire.v1.OffsetsService), behind
// the same bearer-token check and refused with UNAVAILABLE while the server shuts down.
import * as grpc from '@grpc/grpc-js';
import type { TokenCheck } from './auth';

export interface ExtraService {
  /** Full service name, e.g. "sparkwire.v1.OffsetsService" (also its health entry). */
  name: string;
  definition: grpc.ServiceDefinition;
  /** Unary handlers only. */
  implementation: grpc.UntypedServiceImplementation;
  /** Its .proto under proto/, e.g. "sparkwire/v1/offsets.proto" (reflection describes it from libs/proto's descriptor set). */
  protoFile?: string;
  /** Its health status (default SERVING); false for a service that is configured off. */
  serving?: boolean;
}

function refusal(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

export function guardUnary(
  impl: grpc.UntypedServiceImplementation,
  auth: TokenCheck,
  onAuthFailure: () => void,
  isDraining: () => boolean,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(impl)) {
    out[method] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const verdict = auth(call.metadata);
      if (verdict !== 'ok') {
        onAuthFailure();
        return callback(refusal(grpc.status.UNAUTHENTICATED, verdict === 'missing' ? 'authorization: bearer token required' : 'authorization: token not accepted'));
      }
      if (isDraining()) return callback(refusal(grpc.status.UNAVAILABLE, 'sidecar is shutting down; retry on the next one'));
      return (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback);
    }) as grpc.UntypedHandleCall;
  }
  return out;
}
