// Request decoding for ListenerService. The generated deserializer would throw on a
// malformed frame, which grpc-js reports as INTERNAL; decoding here instead keeps the
// byte size (for the batch byte limit) and turns a bad frame into INVALID_ARGUMENT.
import { PublishRequest } from '@sparkwire/proto';

export type Decoded =
  | { ok: true; request: PublishRequest; bytes: number; rawEvents: Buffer[] }
  | { ok: false; error: string; bytes: number };

export function decodePublishRequest(buf: Buffer): Decoded {
  try {
    const request = PublishRequest.decode(buf);
    return { ok: true, request, bytes: buf.length, rawEvents: eventSlices(buf, request.events.length) };
  } catch (err) {
    return { ok: false, error: (err as Error).message, bytes: buf.length };
  }
}

const EVENTS_FIELD = 3; // PublishRequest.events

/**
 * The bytes of each event (field 3) inside an already-validated PublishRequest frame, so
 * the protobuf encoding can forward them without encoding again. Views, not copies.
 */
export function eventSlices(buf: Buffer, expected: number): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    switch (tag & 7) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const len = varint();
        if (Math.floor(tag / 8) === EVENTS_FIELD) out.push(buf.subarray(pos, pos + len));
        pos += len;
        break;
      }
      default:
        // Groups never appear in proto3 messages; the full decode already accepted the frame.
        throw new Error(`unexpected wire type ${tag & 7}`);
    }
  }
  if (out.length !== expected) throw new Error(`found ${out.length} events, decoded ${expected}`);
  return out;
}
