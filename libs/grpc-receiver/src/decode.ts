// Request decoding for ListenerService, in place of the generated deserializer (which grpc-js
// would report as INTERNAL when it throws, and which accepts what protobuf refuses: it stops
// at a 0 tag, replaces invalid UTF-8 with U+FFFD, wraps length prefixes of 2^32 or more).
//
// Limits first, then a strict wire-format validation (wire-validate.ts) against the schema
// derived from protoc's descriptor set of proto/ (linear in the frame size, no allocation),
// and only then the generated decoder, on bytes known to be well-formed. The deserializer never throws: every frame
// becomes a Decoded, and a refused one says what is wrong and where (field path, byte offset).
import { status } from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { descriptorSet, PublishRequest } from '@sparkwire/proto';
import { RECEIVER_DEFAULTS } from './config';
import { compileSchema, schemaFromDescriptorSet, type CompiledSchema } from './wire-schema';
import { WireError, WireValidator, type WireLimits } from './wire-validate';

export interface DecodeLimits extends WireLimits {
  /** server.maxBatchBytes: a larger frame is refused without being read past its top level. */
  maxBatchBytes: number;
  /** server.maxBatchEvents: events beyond it are not validated or decoded; the batch is refused. */
  maxBatchEvents: number;
}

const serverDefaults = RECEIVER_DEFAULTS;
/** The defaults of the server.* settings of the same names: the schema's (config.ts). */
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBatchBytes: serverDefaults.maxBatchBytes,
  maxBatchEvents: serverDefaults.maxBatchEvents,
  maxNestingDepth: serverDefaults.maxNestingDepth,
  maxStringBytes: serverDefaults.maxStringBytes,
  maxRepeatedEntries: serverDefaults.maxRepeatedEntries,
  maxBatchValues: serverDefaults.maxBatchValues,
});

export interface DecodeRefusal {
  ok: false;
  /** INVALID_ARGUMENT: not a well-formed PublishRequest. RESOURCE_EXHAUSTED: over a limit. */
  code: status;
  /** What is wrong and where. */
  error: string;
  bytes: number;
  /**
   * A frame refused for a limit whose top level is well-formed: its client_id and batch_seq,
   * so a stream acks the refusal in order like any refused batch instead of ending.
   */
  batch?: Pick<PublishRequest, 'clientId' | 'batchSeq'>;
}

export type Decoded = { ok: true; request: PublishRequest; bytes: number; rawEvents: Buffer[] } | DecodeRefusal;

const CLIENT_ID_FIELD = 1; // PublishRequest.client_id
const BATCH_SEQ_FIELD = 2; // PublishRequest.batch_seq
const EVENTS_FIELD = 3; // PublishRequest.events
export const REQUEST_MESSAGE = 'sparkwire.v1.PublishRequest';

let compiled: CompiledSchema | undefined;
/** The compiled schema of sparkwire.v1.PublishRequest, from libs/proto's descriptor set (built once, ~15 ms). */
export function requestSchema(): CompiledSchema {
  compiled ??= compileSchema(schemaFromDescriptorSet(descriptorSet(), REQUEST_MESSAGE), REQUEST_MESSAGE);
  return compiled;
}

/** A deserializer for Publish and Stream with these limits (the rest default). */
export function createRequestDecoder(limits: Partial<DecodeLimits> = {}): (buf: Buffer) => Decoded {
  const l: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };
  for (const [k, v] of Object.entries(limits)) if (v !== undefined) (l as unknown as Record<string, number>)[k] = v;
  const validator = new WireValidator(requestSchema(), l);
  return (buf: Buffer) => decodeWith(validator, l, buf);
}

let defaultDecoder: ((buf: Buffer) => Decoded) | undefined;
/** Decodes with the default limits. */
export function decodePublishRequest(buf: Buffer): Decoded {
  defaultDecoder ??= createRequestDecoder();
  return defaultDecoder(buf);
}

/**
 * The generated decoder's reader, with strings read by Node's own UTF-8 decoder straight from the
 * frame. Why: protobuf-es's string() builds an Array of char codes per ASCII string (8 bytes per
 * character) for String.fromCharCode, the largest allocation of the decode and a sixth of all the
 * sidecar allocated per event under load (a sampling allocation profile). Only for frames the
 * validator passed: their strings are valid UTF-8, which Buffer#toString decodes exactly. On
 * invalid UTF-8 it would substitute U+FFFD, which is why nothing else may use this reader.
 */
class ValidatedReader extends BinaryReader {
  constructor(private readonly frame: Buffer) {
    super(frame);
  }

  override string(): string {
    const len = this.uint32();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.len) throw new RangeError('premature EOF');
    return this.frame.toString('utf8', start, this.pos);
  }
}

function decodeWith(v: WireValidator, l: DecodeLimits, buf: Buffer): Decoded {
  const bytes = buf.length;
  try {
    if (bytes > l.maxBatchBytes) return refuseForLimit(v, buf, `batch: ${bytes} bytes exceeds max_batch_bytes ${l.maxBatchBytes}; send smaller batches`);
    try {
      v.validate(buf, { listField: EVENTS_FIELD, listMax: l.maxBatchEvents });
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      return err.limit ? refuseForLimit(v, buf, err.message) : malformed(err.message, bytes);
    }
    const events = v.rootCount(EVENTS_FIELD);
    if (events > l.maxBatchEvents) return refuseForLimit(v, buf, `events: ${events} events exceed max_batch_events ${l.maxBatchEvents}; send smaller batches`);
    const rawEvents = slices(v.listRanges, buf);
    const request = PublishRequest.decode(new ValidatedReader(buf));
    if (request.events.length !== rawEvents.length) return malformed(`decoded ${request.events.length} events but found ${rawEvents.length}`, bytes);
    return { ok: true, request, bytes, rawEvents };
  } catch (err) {
    // Not expected after validation; still never a throw out of the deserializer.
    return malformed(`cannot decode: ${(err as Error).message}`, bytes);
  }
}

function malformed(error: string, bytes: number): DecodeRefusal {
  return { ok: false, code: status.INVALID_ARGUMENT, error, bytes };
}

/** A limit was passed: the top level alone is checked (cheap), for client_id and batch_seq. */
function refuseForLimit(v: WireValidator, buf: Buffer, error: string): DecodeRefusal {
  try {
    v.validate(buf, { shallow: true });
  } catch (err) {
    if (err instanceof WireError && !err.limit) return malformed(err.message, buf.length);
    return { ok: false, code: status.RESOURCE_EXHAUSTED, error, bytes: buf.length };
  }
  const parts: Buffer[] = [];
  for (const fno of [CLIENT_ID_FIELD, BATCH_SEQ_FIELD]) {
    const span = v.rootSpan(fno);
    if (span) parts.push(buf.subarray(span[0], span[1]));
  }
  const head = PublishRequest.decode(Buffer.concat(parts));
  return { ok: false, code: status.RESOURCE_EXHAUSTED, error, bytes: buf.length, batch: { clientId: head.clientId, batchSeq: head.batchSeq } };
}

/** Views of the bytes of each range (flat start, end pairs). */
function slices(ranges: number[], buf: Buffer): Buffer[] {
  const out: Buffer[] = new Array(ranges.length / 2);
  for (let i = 0; i < ranges.length; i += 2) out[i / 2] = buf.subarray(ranges[i], ranges[i + 1]);
  return out;
}

let sliceValidator: WireValidator | undefined;
/**
 * The bytes of each event (field 3) of a PublishRequest frame, so the protobuf encoding can
 * forward them without encoding again. Views, not copies. Bounded: a malformed frame throws
 * (a WireError naming the byte), it never reads past the end or loops.
 */
export function eventSlices(buf: Buffer, expected: number): Buffer[] {
  sliceValidator ??= new WireValidator(requestSchema(), DEFAULT_DECODE_LIMITS);
  sliceValidator.validate(buf, { shallow: true, listField: EVENTS_FIELD });
  const out = slices(sliceValidator.listRanges, buf);
  if (out.length !== expected) throw new Error(`found ${out.length} events, decoded ${expected}`);
  return out;
}
