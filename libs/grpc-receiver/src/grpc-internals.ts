// Every place the receiver reaches past grpc-js's public API, kept here so an upgrade has one
// file to check. Two things grpc-js (1.14) gives no public way to do:
//
// 1. See a partial message held at the end of a call. The client half-closed after sending
//    part of a length-prefixed message (the 5-byte prefix, or fewer message bytes than it
//    declared). grpc-js's server keeps those bytes in its StreamDecoder and, at the end of
//    the stream, just delivers the half-close: the incomplete message is never surfaced, so
//    a Stream would end OK with neither an ack nor an error for it. (A unary call with no
//    complete message gets UNIMPLEMENTED "received no request message" from grpc-js itself;
//    one with a complete message followed by a partial one would be served as if the rest
//    did not exist.) The decoder is a field of the BaseServerInterceptingCall that the
//    handler's call object wraps (`call.call`, or further down `nextCall` when server
//    interceptors are configured); this reads its state, and only reads it.
//    If grpc-js renames them: truncated last messages go unreported (Streams end OK, Publish
//    serves the complete message). Pinned by listener-frames.test.ts (canInspect).
//
// 2. Read at most one message ahead on a Stream. The call is a Node Duplex in object mode that
//    grpc-js creates with the default highWaterMark (16 messages) and no option to change it;
//    the only handle is Node's `_readableState`. If it moves: up to 16 batches per stream are
//    buffered past maxInFlightPerStream (memory, not correctness). Pinned by
//    grpc-internals.test.ts (limitReadAhead).

export interface PartialMessage {
  /** Bytes of the incomplete message received, its 5-byte prefix included. */
  received: number;
  /** Bytes the prefix declared (message only), when the prefix was complete. */
  declared?: number;
}

interface DecoderState {
  readState: number;
  readSizeRemaining: number;
  readMessageSize: number;
  readMessageRemaining: number;
}

// grpc-js StreamDecoder ReadState.
const NO_DATA = 0;
const READING_SIZE = 1;
const READING_MESSAGE = 2;

function decoderOf(call: unknown): DecoderState | undefined {
  let c = (call as { call?: unknown } | undefined)?.call as Record<string, unknown> | undefined;
  for (let hops = 0; c && hops < 16; hops++) {
    const d = c.decoder as DecoderState | undefined;
    if (d && typeof d.readState === 'number') return d;
    c = c.nextCall as Record<string, unknown> | undefined;
  }
  return undefined;
}

/** Whether the decoder can be read for this call (false: grpc-js changed; see listener-frames.test.ts). */
export function canInspect(call: unknown): boolean {
  return decoderOf(call) !== undefined;
}

/**
 * The incomplete message grpc-js holds for this call, if any. Meaningful once the client has
 * half-closed (the 'end' event of a Stream, or in a unary handler, which grpc-js calls at the
 * half-close).
 */
export function partialMessage(call: unknown): PartialMessage | undefined {
  const d = decoderOf(call);
  if (!d || d.readState === NO_DATA) return undefined;
  if (d.readState === READING_SIZE) return { received: 1 + (4 - d.readSizeRemaining) };
  if (d.readState === READING_MESSAGE) return { received: 5 + (d.readMessageSize - d.readMessageRemaining), declared: d.readMessageSize };
  return undefined;
}

export function describePartial(p: PartialMessage): string {
  return p.declared === undefined
    ? `the request stream ended inside a gRPC message prefix (${p.received} of 5 bytes)`
    : `the request stream ended inside a gRPC message: ${p.received - 5} of the ${p.declared} bytes its prefix declared`;
}

/** Makes a server stream read one message ahead at most; false when Node's internals were not found. */
export function limitReadAhead(call: unknown): boolean {
  const readable = (call as { _readableState?: { highWaterMark: number } })._readableState;
  if (!readable) return false;
  readable.highWaterMark = 1;
  return true;
}
