// Strict protobuf wire-format validation of a request frame against the schema, before
// anything is decoded: one pass over the bytes, no allocation, linear in the frame size
// whatever the input (every loop advances by at least one byte, nesting is bounded).
//
// Refused, as protobuf's reference decoder (upb, as in Python and C++ protobuf) refuses
// them: tag 0 / field number 0, tags longer than 5 bytes or of 2^32 or more, wire types 6
// and 7, varints longer than 10 bytes, length prefixes longer than 5 bytes, of 2^32 or more
// or past the end of the enclosing message, truncated fixed32/fixed64, a field that crosses
// the end of its message, invalid UTF-8 in string fields (map keys and values included).
// Refused where protobuf would accept, because the generated decoder would then read the
// frame differently from protobuf or drop data silently: groups (wire types 3/4; these
// proto3 messages have none), a known field with a wire type it cannot have (protobuf keeps
// it as an unknown field), a singular message field that occurs twice (protobuf merges the
// two, the generated decoder keeps the last). Repeated scalars are accepted packed and
// unpacked. Unknown fields are allowed (forward compatibility) but must be well-formed;
// their contents are not interpreted.
//
// Limits (WireLimits): nesting depth, bytes of one string/bytes field, entries of one
// repeated/map field in one message, and values (messages, map entries, repeated elements)
// in the whole frame, so a small frame cannot expand into millions of decoded objects.
import { K_BYTES, K_I32, K_I64, K_MESSAGE, K_REPEATED, K_STRING, K_VARINT, type CompiledMessage, type CompiledSchema } from './wire-schema';
import { firstInvalidUtf8, utf8Valid } from './utf8';

export { firstInvalidUtf8, utf8Valid } from './utf8';

export interface WireLimits {
  /** Messages nested in each other, the root included. */
  maxNestingDepth: number;
  /** Bytes of one string or bytes field. */
  maxStringBytes: number;
  /** Entries of one repeated or map field in one message (the root's repeated fields are exempt: see validate()). */
  maxRepeatedEntries: number;
  /** Messages, map entries and repeated elements in the whole frame. */
  maxBatchValues: number;
}

/** A frame the validator refused: where (field path, byte offset) and what. */
export class WireError extends Error {
  constructor(
    /** Proto field path, e.g. events[2].task_end.info.host ("" for the top level). */
    readonly path: string,
    /** Byte offset in the frame. */
    readonly offset: number,
    readonly what: string,
    /** A limit was passed (the frame may be well-formed): RESOURCE_EXHAUSTED rather than INVALID_ARGUMENT. */
    readonly limit: boolean,
  ) {
    super(`${path || '(top level)'} at byte ${offset}: ${what}`);
    this.name = 'WireError';
  }
}

export interface ValidateOptions {
  /** Check the root's own fields only: message fields are skipped, not descended into. */
  shallow?: boolean;
  /** A repeated field of the root whose values are collected (listRanges), e.g. events. */
  listField?: number;
  /**
   * Values of listField past this many are neither descended into nor collected, only
   * counted (the caller refuses the frame for their number).
   */
  listMax?: number;
  /** Refuse unknown fields too (tests: proves an encoder emits only fields the schema has). */
  rejectUnknown?: boolean;
}

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start group', 'end group', 'fixed32', 'wire type 6', 'wire type 7'];
const KIND_NAMES = ['', 'varint', 'fixed64', 'fixed32', 'string', 'bytes', 'message'];
const KIND_WIRE = [0, 0, 1, 5, 2, 2, 2];
const TWO_32 = 2 ** 32;

export class WireValidator {
  /** The values of ValidateOptions.listField, flat: start, end (after the length prefix). */
  readonly listRanges: number[] = [];
  /** By root field number: where its last occurrence starts (its tag) and ends; -1 if none. */
  private readonly lastStart: Int32Array;
  private readonly lastEnd: Int32Array;
  private readonly slots: number;
  /** Per nesting level, per counter slot of the message there: a count, valid while its stamp is the message's. */
  private readonly counts: Uint32Array;
  private readonly stamps: Uint32Array;
  /** Numbers the message instances walked, so counters need no reset on entry. */
  private instance = 0;
  private rootInstance = 0;
  private readonly pathField: Int32Array;
  private readonly pathIndex: Int32Array;
  private values = 0;
  /** Out-parameter of the slow paths: the position after what they read. */
  private p = 0;
  private shallow = false;
  private listField = 0;
  private listMax = Number.POSITIVE_INFINITY;
  private rejectUnknown = false;

  constructor(
    readonly schema: CompiledSchema,
    readonly limits: WireLimits,
  ) {
    const depth = Math.max(1, limits.maxNestingDepth) + 1;
    this.slots = Math.max(1, schema.maxSlots);
    this.counts = new Uint32Array(depth * this.slots);
    this.stamps = new Uint32Array(depth * this.slots);
    this.pathField = new Int32Array(depth);
    this.pathIndex = new Int32Array(depth);
    this.lastStart = new Int32Array(schema.root.spec.length);
    this.lastEnd = new Int32Array(schema.root.spec.length);
  }

  /** Throws WireError for a malformed frame or a passed limit. */
  validate(buf: Uint8Array, opts: ValidateOptions = {}): void {
    this.listRanges.length = 0;
    this.lastStart.fill(-1);
    this.lastEnd.fill(-1);
    this.values = 0;
    this.shallow = opts.shallow ?? false;
    this.listField = opts.listField ?? 0;
    this.listMax = opts.listMax ?? Number.POSITIVE_INFINITY;
    this.rejectUnknown = opts.rejectUnknown ?? false;
    this.walk(buf, 0, buf.length, this.schema.root, 0);
  }

  /** [start of its tag, end] of the last occurrence of a known root field, after validate(). */
  rootSpan(fieldNo: number): [number, number] | undefined {
    if (fieldNo >= this.lastStart.length || this.lastStart[fieldNo] < 0) return undefined;
    return [this.lastStart[fieldNo], this.lastEnd[fieldNo]];
  }

  /** Count of a repeated field of the root after validate() (e.g. events). */
  rootCount(fieldNo: number): number {
    const slot = this.schema.root.slot[fieldNo];
    return slot === undefined || slot < 0 || this.stamps[slot] !== this.rootInstance ? 0 : this.counts[slot];
  }

  private walk(buf: Uint8Array, pos: number, end: number, m: CompiledMessage, depth: number): void {
    const spec = m.spec;
    const nspec = spec.length;
    const cbase = depth * this.slots;
    let inst = (this.instance = (this.instance + 1) >>> 0);
    if (inst === 0) {
      // wrapped around (after 2^32 messages): no stamp may look current
      this.stamps.fill(0);
      inst = this.instance = 1;
    }
    const root = depth === 0;
    if (root) this.rootInstance = inst;
    const lim = this.limits;
    while (pos < end) {
      const tagAt = pos;
      let tag = buf[pos++];
      if (tag >= 0x80) {
        // Two-byte tags (field numbers 16-2047) are common enough for a fast path.
        const b1 = pos < end ? buf[pos] : 0x80;
        if (b1 < 0x80) {
          tag = (tag & 0x7f) | (b1 << 7);
          pos++;
        } else {
          tag = this.tagSlow(buf, tagAt, end, depth);
          pos = this.p;
        }
      }
      const fno = tag >>> 3;
      const wt = tag & 7;
      if (fno === 0) this.fail(depth, -1, tagAt, `tag 0x${tag.toString(16).padStart(2, '0')}: field number 0 is not allowed`);
      const k = fno < nspec ? spec[fno] : 0;
      if (k === 0 && this.rejectUnknown) this.fail(depth, fno, tagAt, 'unknown field');
      let valueAt = pos;
      switch (wt) {
        case 0: {
          const stop = end - pos > 10 ? pos + 10 : end;
          let q = pos;
          while (q < stop && buf[q] >= 0x80) q++;
          if (q === stop) {
            if (q - pos < 10) this.fail(depth, fno, tagAt, 'truncated varint: it runs past the end of the message');
            this.fail(depth, fno, tagAt, 'varint longer than 10 bytes');
          }
          pos = q + 1;
          if (k !== 0) {
            if ((k & 7) !== K_VARINT) this.wrongType(depth, m, fno, tagAt, wt);
            if (k & K_REPEATED) this.addEntries(m, depth, inst, fno, tagAt, 1, true);
          }
          break;
        }
        case 2: {
          let len = pos < end ? buf[pos] : 0x80;
          if (len < 0x80) pos++;
          else {
            len = this.lenSlow(buf, pos, end, depth, fno, tagAt);
            pos = this.p;
          }
          if (len > end - pos) this.fail(depth, fno, tagAt, `length ${len} runs past the end of the message (${end - pos} bytes left)`);
          valueAt = pos;
          pos += len;
          if (k === 0) break;
          switch (k & 7) {
            case K_STRING: {
              if (len > lim.maxStringBytes) this.fail(depth, fno, tagAt, `string of ${len} bytes exceeds server.maxStringBytes ${lim.maxStringBytes}`, true);
              let i = valueAt;
              while (i < pos && buf[i] < 0x80) i++;
              if (i < pos && !utf8Valid(buf, i, pos)) this.fail(depth, fno, Math.max(valueAt, firstInvalidUtf8(buf, valueAt, pos)), 'invalid UTF-8 in a string field');
              if (k & K_REPEATED) this.addEntries(m, depth, inst, fno, tagAt, 1, true);
              break;
            }
            case K_MESSAGE: {
              let index = -1;
              if (k & K_REPEATED) index = this.addEntries(m, depth, inst, fno, tagAt, 1, !root) - 1;
              else if (this.bump(cbase + m.slot[fno], inst, 1) > 1) {
                // protobuf merges the two, the generated decoder would keep only the last: refused.
                this.fail(depth, fno, tagAt, 'a second occurrence of a singular message field');
              }
              if (root) {
                if (fno === this.listField) {
                  if (index >= this.listMax) break;
                  this.listRanges.push(valueAt, pos);
                }
                if (this.shallow) break;
              }
              if (++this.values > lim.maxBatchValues) this.fail(depth, fno, tagAt, `more than server.maxBatchValues ${lim.maxBatchValues} messages, map entries and repeated values in one batch`, true);
              if (depth + 2 > lim.maxNestingDepth) this.fail(depth, fno, tagAt, `messages nested deeper than server.maxNestingDepth ${lim.maxNestingDepth}`, true);
              this.pathField[depth] = fno;
              this.pathIndex[depth] = index;
              this.walk(buf, valueAt, pos, m.sub[fno]!, depth + 1);
              break;
            }
            case K_BYTES:
              if (len > lim.maxStringBytes) this.fail(depth, fno, tagAt, `bytes field of ${len} bytes exceeds server.maxStringBytes ${lim.maxStringBytes}`, true);
              if (k & K_REPEATED) this.addEntries(m, depth, inst, fno, tagAt, 1, true);
              break;
            default:
              // A numeric field sent length-delimited: only a packed repeated field may be.
              if (!(k & K_REPEATED)) this.wrongType(depth, m, fno, tagAt, wt);
              this.addEntries(m, depth, inst, fno, tagAt, this.packedCount(buf, valueAt, pos, k & 7, depth, fno, tagAt), true);
          }
          break;
        }
        case 1:
          if (end - pos < 8) this.fail(depth, fno, tagAt, `truncated fixed64: ${end - pos} of 8 bytes before the end of the message`);
          pos += 8;
          if (k !== 0) {
            if ((k & 7) !== K_I64) this.wrongType(depth, m, fno, tagAt, wt);
            if (k & K_REPEATED) this.addEntries(m, depth, inst, fno, tagAt, 1, true);
          }
          break;
        case 5:
          if (end - pos < 4) this.fail(depth, fno, tagAt, `truncated fixed32: ${end - pos} of 4 bytes before the end of the message`);
          pos += 4;
          if (k !== 0) {
            if ((k & 7) !== K_I32) this.wrongType(depth, m, fno, tagAt, wt);
            if (k & K_REPEATED) this.addEntries(m, depth, inst, fno, tagAt, 1, true);
          }
          break;
        case 3:
        case 4:
          this.fail(depth, fno, tagAt, `wire type ${wt} (${WIRE_NAMES[wt]}): groups are not allowed in these proto3 messages`);
          break;
        default:
          this.fail(depth, fno, tagAt, `invalid wire type ${wt}`);
      }
      if (root && k !== 0) {
        this.lastStart[fno] = tagAt;
        this.lastEnd[fno] = pos;
      }
    }
  }

  /** Adds n to a counter of the message instance `inst`; returns the new count. */
  private bump(i: number, inst: number, n: number): number {
    const c = this.stamps[i] === inst ? this.counts[i] + n : n;
    this.stamps[i] = inst;
    this.counts[i] = c;
    return c;
  }

  /** Adds n entries to a repeated field of the message at `depth`; returns the new count. */
  private addEntries(m: CompiledMessage, depth: number, inst: number, fno: number, at: number, n: number, limited: boolean): number {
    const c = this.bump(depth * this.slots + m.slot[fno], inst, n);
    if (limited && c > this.limits.maxRepeatedEntries) {
      this.fail(depth, fno, at, `more than server.maxRepeatedEntries ${this.limits.maxRepeatedEntries} entries in one repeated or map field`, true);
    }
    if ((m.spec[fno] & 7) !== K_MESSAGE) {
      this.values += n;
      if (this.values > this.limits.maxBatchValues) this.fail(depth, fno, at, `more than server.maxBatchValues ${this.limits.maxBatchValues} messages, map entries and repeated values in one batch`, true);
    }
    return c;
  }

  /** Elements of a packed repeated field, checking each is well-formed. */
  private packedCount(buf: Uint8Array, from: number, to: number, kind: number, depth: number, fno: number, at: number): number {
    const len = to - from;
    if (kind === K_I64) {
      if (len % 8 !== 0) this.fail(depth, fno, at, `packed fixed64 field of ${len} bytes: not a multiple of 8`);
      return len / 8;
    }
    if (kind === K_I32) {
      if (len % 4 !== 0) this.fail(depth, fno, at, `packed fixed32 field of ${len} bytes: not a multiple of 4`);
      return len / 4;
    }
    let n = 0;
    let run = 0;
    for (let q = from; q < to; q++) {
      if (buf[q] >= 0x80) {
        if (++run === 10) this.fail(depth, fno, q - 9, 'varint longer than 10 bytes in a packed field');
      } else {
        run = 0;
        n++;
      }
    }
    if (run > 0) this.fail(depth, fno, to - run, 'truncated varint at the end of a packed field');
    return n;
  }

  private tagSlow(buf: Uint8Array, at: number, end: number, depth: number): number {
    let v = 0;
    let mul = 1;
    let q = at;
    for (let i = 0; i < 5; i++) {
      if (q >= end) this.fail(depth, -1, at, 'truncated tag: its varint runs past the end of the message');
      const b = buf[q++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        if (v >= TWO_32) this.fail(depth, -1, at, 'tag does not fit in 32 bits');
        this.p = q;
        return v >>> 0;
      }
    }
    return this.fail(depth, -1, at, 'tag varint longer than 5 bytes');
  }

  private lenSlow(buf: Uint8Array, from: number, end: number, depth: number, fno: number, at: number): number {
    let v = 0;
    let mul = 1;
    let q = from;
    for (let i = 0; i < 5; i++) {
      if (q >= end) this.fail(depth, fno, at, 'truncated length prefix: its varint runs past the end of the message');
      const b = buf[q++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        if (v >= TWO_32) this.fail(depth, fno, at, `length prefix ${v} is 2^32 or more (it must not wrap around)`);
        this.p = q;
        return v;
      }
    }
    return this.fail(depth, fno, at, 'length prefix varint longer than 5 bytes');
  }

  private wrongType(depth: number, m: CompiledMessage, fno: number, at: number, wt: number): never {
    const kind = m.spec[fno] & 7;
    const rep = m.spec[fno] & K_REPEATED ? 'repeated ' : '';
    return this.fail(depth, fno, at, `wire type ${wt} (${WIRE_NAMES[wt]}) for a ${rep}${KIND_NAMES[kind]} field (wire type ${KIND_WIRE[kind]})`);
  }

  private fail(depth: number, fno: number, offset: number, what: string, limit = false): never {
    const parts: string[] = [];
    let m = this.schema.root;
    for (let l = 0; l < depth; l++) {
      const name = fieldName(m, this.pathField[l]);
      const i = this.pathIndex[l];
      parts.push(i >= 0 ? `${name}[${i}]` : name);
      m = m.sub[this.pathField[l]]!;
    }
    if (fno > 0) parts.push(fieldName(m, fno));
    throw new WireError(parts.join('.'), offset, what, limit);
  }
}

function fieldName(m: CompiledMessage, fno: number): string {
  return (fno < m.names.length && m.names[fno]) || `(unknown field ${fno})`;
}
