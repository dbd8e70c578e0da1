// The sparkwire.v1 API as TypeScript: generated message types and the grpc-js service
// definition, plus where the .proto files live for tools that load them at run time
// (server reflection, health).
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

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

/** Directory holding sparkwire/v1/*.proto (the include root). */
export const PROTO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../proto');
export const LISTENER_PROTO = 'sparkwire/v1/listener.proto';
