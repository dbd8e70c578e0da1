// The sparkwire.v1 API as TypeScript: generated message types and the grpc-js service
// definition, plus where the .proto files live for tools that load them at run time
// (server reflection, health).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export * from './gen/sparkwire/v1/events';
export {
  PublishRequest,
  PublishResponse,
  PublishAck,
  ClientStats,
  ListenerServiceService,
  ListenerServiceClient,
  type ListenerServiceServer,
} from './gen/sparkwire/v1/listener';

export {
  OffsetRange,
  CommitRequest,
  CommitResponse,
  CommitResponse_Outcome,
  PartitionOffset,
  StartPolicy,
  FetchRequest,
  FetchResponse,
  FetchedPartition,
  LagRequest,
  LagResponse,
  LagStatus,
  PartitionLag,
  OffsetsServiceService,
  OffsetsServiceClient,
  type OffsetsServiceServer,
} from './gen/sparkwire/v1/offsets';

import { DESCRIPTOR_SET_BASE64 } from './gen/descriptor-set';

/**
 * protoc's FileDescriptorSet of sparkwire.v1, grpc.health.v1 and grpc.reflection (v1, v1alpha),
 * with imports and source info: what server reflection serves.
 */
export function descriptorSet(): Uint8Array {
  return Buffer.from(DESCRIPTOR_SET_BASE64, 'base64');
}

export const LISTENER_PROTO_FILE = 'sparkwire/v1/listener.proto';
export const OFFSETS_PROTO_FILE = 'sparkwire/v1/offsets.proto';

/**
 * Directory holding sparkwire/v1/*.proto (the include root), found by walking up from this
 * module: the same code runs from libs/proto/src and bundled into apps/sidecar/dist.
 */
export function protoRoot(): string {
  return findProtoRoot(dirname(fileURLToPath(import.meta.url)));
}

function findProtoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', LISTENER_PROTO_FILE))) return join(dir, 'proto');
    if (dirname(dir) === dir) throw new Error(`proto/${LISTENER_PROTO_FILE} not found above ${from}`);
  }
}
export const LISTENER_PROTO = LISTENER_PROTO_FILE;
export const OFFSETS_PROTO = OFFSETS_PROTO_FILE;
