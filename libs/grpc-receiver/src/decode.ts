// Request decoding for ListenerService. The generated deserializer would throw on a
// malformed frame, which grpc-js reports as INTERNAL; decoding here instead keeps the
// byte size (for the batch byte limit) and turns a bad frame into INVALID_ARGUMENT.
import { PublishRequest } from '@sparkwire/proto';

export type Decoded = { ok: true; request: PublishRequest; bytes: number } | { ok: false; error: string; bytes: number };

export function decodePublishRequest(buf: Buffer): Decoded {
  try {
    return { ok: true, request: PublishRequest.decode(buf), bytes: buf.length };
  } catch (err) {
    return { ok: false, error: (err as Error).message, bytes: buf.length };
  }
}
