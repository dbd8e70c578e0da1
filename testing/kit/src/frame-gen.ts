// Request frames for tests, the fuzzer and the fault-injection corpus: random valid
// PublishRequests (driven by the descriptor set, so every field of proto/ is exercised) and
// malformed frames of named kinds, each malformed by construction or refused by the
// reference decoder (@bufbuild/protobuf with protoc's descriptors), never "probably bad".
// Deterministic for a seed.
import { create, createFileRegistry, fromBinary, ScalarType, toBinary, type DescField, type DescMessage, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { descriptorSet, PublishRequest } from '@sparkwire/proto';
import { Rng } from './prng';

let registry: FileRegistry | undefined;
/** The reference decoder's view of proto/ (protoc's descriptor set from libs/proto). */
export function protoRegistry(): FileRegistry {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet()));
  return registry;
}

export function messageDesc(name: string): DescMessage {
  const d = protoRegistry().getMessage(name);
  if (!d) throw new Error(`${name} not in the descriptor set`);
  return d;
}

export const REQUEST_TYPE = 'sparkwire.v1.PublishRequest';

/** protobuf's reference decoder (upb-strict UTF-8 for proto3 strings); throws on a malformed frame. */
export function referenceDecode(frame: Uint8Array) {
  return fromBinary(messageDesc(REQUEST_TYPE), frame, { readUnknownFields: true });
}

export function referenceAccepts(frame: Uint8Array): boolean {
  try {
    referenceDecode(frame);
    return true;
  } catch {
    return false;
  }
}

/** The reference decoder's reading of an accepted frame, encoded again without unknown fields. */
export function referenceReencode(frame: Uint8Array): Uint8Array {
  return toBinary(messageDesc(REQUEST_TYPE), referenceDecode(frame), { writeUnknownFields: false });
}

/** Whether the generated TypeScript uses bigint for 64-bit integers (forceLong=bigint). */
export const INT64_IS_BIGINT = typeof (PublishRequest.fromPartial({}) as { batchSeq: unknown }).batchSeq === 'bigint';

export interface RandomMessageOptions {
  /** "$case" for ts-proto objects (oneof=unions-value), "case" for @bufbuild/protobuf. */
  caseKey: '$case' | 'case';
  /** Elements of a repeated or map field, at most. */
  maxRepeat?: number;
  /** Characters of a string, at most. */
  maxString?: number;
}

const STRING_POOL = ['', 'a', 'event-1', 'app-20261124-0001', 'ünïcödé', '日本語テキスト', '🙂 emoji', 'x'.repeat(200), 'tab\tnew\nline', '\u0000nul'];

function randomString(rng: Rng, max: number): string {
  if (rng.chance(0.5)) return rng.pick(STRING_POOL).slice(0, max);
  const n = rng.int(max + 1);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.int(10);
    if (r < 6) s += String.fromCharCode(0x20 + rng.int(95));
    else if (r < 8) s += String.fromCharCode(0xa0 + rng.int(0x700));
    else if (r < 9) s += String.fromCharCode(0x3000 + rng.int(0x5000));
    else s += String.fromCodePoint(0x10000 + rng.int(0xfffff));
  }
  return s;
}

const I64_EDGES = [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 1_732_000_000_000n];
const U64_EDGES = [0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n, 1_732_000_000_000n];

function int64(rng: Rng, unsigned: boolean): bigint | number {
  let v: bigint;
  if (rng.chance(0.3)) v = rng.pick(unsigned ? U64_EDGES : I64_EDGES);
  else if (rng.chance(0.5)) v = BigInt(rng.int(1_000_000));
  else v = unsigned ? rng.u64() : BigInt.asIntN(64, rng.u64());
  if (INT64_IS_BIGINT) return v;
  // number mode: only what fits a double exactly
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : rng.int(1_000_000);
}

function scalar(rng: Rng, t: ScalarType, maxString: number): unknown {
  switch (t) {
    case ScalarType.STRING:
      return randomString(rng, maxString);
    case ScalarType.BYTES:
      return new Uint8Array(rng.bytes(rng.int(maxString + 1)));
    case ScalarType.BOOL:
      return rng.chance(0.5);
    case ScalarType.DOUBLE:
      return rng.pick([0.5, -1.25, 1e300, -1e-300, 3.14159, 42, Number.MAX_VALUE, rng.u32() / 7]);
    case ScalarType.FLOAT:
      return Math.fround(rng.pick([0.5, -1.25, 3.5e38, 42, rng.u32() / 7]));
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return rng.chance(0.3) ? rng.pick([0, 1, -1, 2 ** 31 - 1, -(2 ** 31)]) : rng.u32() | 0;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return rng.chance(0.3) ? rng.pick([0, 1, 2 ** 32 - 1]) : rng.u32();
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return int64(rng, true);
    default:
      return int64(rng, false);
  }
}

function fieldValue(rng: Rng, f: DescField, depth: number, o: Required<RandomMessageOptions>): unknown {
  switch (f.fieldKind) {
    case 'scalar':
      return scalar(rng, f.scalar, o.maxString);
    case 'enum':
      return rng.chance(0.9) ? rng.pick(f.enum.values).number : rng.u32() | 0;
    case 'message':
      return randomMessage(f.message, rng, depth + 1, o);
    case 'list': {
      const n = rng.int(o.maxRepeat + 1);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        if (f.listKind === 'scalar') out.push(scalar(rng, f.scalar, o.maxString));
        else if (f.listKind === 'enum') out.push(rng.pick(f.enum.values).number);
        else out.push(randomMessage(f.message, rng, depth + 1, o));
      }
      return out;
    }
    case 'map': {
      const n = rng.int(o.maxRepeat + 1);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const key = String(scalar(rng, f.mapKey, 12));
        if (f.mapKind === 'scalar') out[key] = scalar(rng, f.scalar, o.maxString);
        else if (f.mapKind === 'enum') out[key] = rng.pick(f.enum.values).number;
        else out[key] = randomMessage(f.message, rng, depth + 1, o);
      }
      return out;
    }
  }
}

/** A random message of this type as a plain object (ts-proto or @bufbuild/protobuf shape). */
export function randomMessage(desc: DescMessage, rng: Rng, depth: number, opts: RandomMessageOptions): Record<string, unknown> {
  const o: Required<RandomMessageOptions> = { maxRepeat: 3, maxString: 24, ...opts };
  const out: Record<string, unknown> = {};
  const deep = depth > 6;
  for (const f of desc.fields) {
    if (f.oneof) continue;
    if (deep && (f.fieldKind === 'message' || f.fieldKind === 'list' || f.fieldKind === 'map')) continue;
    if (!rng.chance(0.6)) continue;
    out[f.localName] = fieldValue(rng, f, depth, o);
  }
  for (const oneof of desc.oneofs) {
    if (deep || !rng.chance(0.8)) continue;
    const f = rng.pick(oneof.fields);
    out[oneof.localName] = { [o.caseKey]: f.localName, value: fieldValue(rng, f, depth, o) };
  }
  return out;
}

/** A random valid PublishRequest (every field of proto/ can occur), as the generated TypeScript type. */
export function randomRequest(rng: Rng, opts: Partial<Omit<RandomMessageOptions, 'caseKey'>> & { maxEvents?: number } = {}): PublishRequest {
  const base = randomMessage(messageDesc(REQUEST_TYPE), rng, 0, { caseKey: '$case', ...opts });
  if (opts.maxEvents !== undefined && Array.isArray(base.events)) base.events = (base.events as unknown[]).slice(0, opts.maxEvents);
  return PublishRequest.fromPartial(base as Parameters<typeof PublishRequest.fromPartial>[0]);
}

export function encodeRequest(r: PublishRequest): Buffer {
  return Buffer.from(PublishRequest.encode(r).finish());
}

// ---------------------------------------------------------------------------------------
// Wire-level building blocks.

export function varint(v: number | bigint): Buffer {
  let x = BigInt(v);
  if (x < 0n) x = BigInt.asUintN(64, x);
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return Buffer.from(out);
}

export function tag(fieldNo: number, wireType: number): Buffer {
  return varint(fieldNo * 8 + wireType);
}

export function lenField(fieldNo: number, payload: Uint8Array): Buffer {
  return Buffer.concat([tag(fieldNo, 2), varint(payload.length), payload]);
}

/** Top-level field spans of a well-formed message: [fieldNo, start, payloadStart, end]. */
export function topLevelFields(buf: Uint8Array): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  let pos = 0;
  const read = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
  };
  while (pos < buf.length) {
    const start = pos;
    const t = read();
    const wt = t % 8;
    let payload = pos;
    if (wt === 0) read();
    else if (wt === 1) pos += 8;
    else if (wt === 5) pos += 4;
    else {
      const len = read();
      payload = pos;
      pos += len;
    }
    out.push([Math.floor(t / 8), start, payload, pos]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Malformed frames.

export const MALFORMED_KINDS = [
  'zero-tag',
  'truncated',
  'bit-flip',
  'random-bytes',
  'wrong-wire-type',
  'invalid-utf8',
  'length-past-end',
  'huge-length',
  'long-varint',
  'bad-tag',
  'group',
  'bad-wire-type',
  'truncated-fixed',
  'bad-unknown-field',
  'duplicate-message',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface MalformedFrame {
  kind: MalformedKind;
  frame: Buffer;
  /** Field path where the defect was put (nested kinds). */
  where?: string;
}

interface Level {
  desc: DescMessage;
  /** The field of this message that holds the next level (absent at the innermost). */
  field?: DescField;
}

/** A random chain of message fields from the root, e.g. events -> task_end -> info. */
function randomChain(rng: Rng): Level[] {
  const chain: Level[] = [{ desc: messageDesc(REQUEST_TYPE) }];
  for (;;) {
    const cur = chain[chain.length - 1];
    const msgFields = cur.desc.fields.filter((f) => f.fieldKind === 'message' || (f.fieldKind === 'list' && f.listKind === 'message') || (f.fieldKind === 'map' && f.mapKind === 'message'));
    // map<string, message> entries are not walked into (the entry message is synthetic here)
    const walkable = msgFields.filter((f) => f.fieldKind !== 'map');
    if (walkable.length === 0 || (chain.length > 1 && rng.chance(0.35))) return chain;
    const f = rng.pick(walkable);
    cur.field = f;
    chain.push({ desc: f.message! });
  }
}

function encodeWithout(desc: DescMessage, rng: Rng, skip?: DescField): Buffer {
  const init = randomMessage(desc, rng, 1, { caseKey: 'case', maxRepeat: 2, maxString: 16 });
  if (skip) {
    delete init[skip.localName];
    if (skip.oneof) delete init[skip.oneof.localName];
  }
  return Buffer.from(toBinary(desc, create(desc, init as never)));
}

/** Wraps `inner` (the innermost message's bytes) back up the chain into a PublishRequest frame. */
function wrapChain(chain: Level[], inner: Buffer, rng: Rng): Buffer {
  let bytes = inner;
  for (let i = chain.length - 2; i >= 0; i--) {
    const { desc, field } = chain[i];
    const parent = encodeWithout(desc, rng, field);
    bytes = Buffer.concat([parent, lenField(field!.number, bytes)]);
  }
  return bytes;
}

function chainPath(chain: Level[]): string {
  return chain
    .slice(0, -1)
    .map((l) => l.field!.name)
    .join('.');
}

/** A wire type the field cannot have (packed LEN is legal for repeated scalars, so not chosen for them). */
function wrongWireType(f: DescField, rng: Rng): number {
  const legal = new Set<number>();
  const scalarWire = (t: ScalarType) =>
    t === ScalarType.STRING || t === ScalarType.BYTES ? 2 : t === ScalarType.DOUBLE || t === ScalarType.FIXED64 || t === ScalarType.SFIXED64 ? 1 : t === ScalarType.FLOAT || t === ScalarType.FIXED32 || t === ScalarType.SFIXED32 ? 5 : 0;
  if (f.fieldKind === 'scalar') legal.add(scalarWire(f.scalar));
  else if (f.fieldKind === 'enum') legal.add(0);
  else if (f.fieldKind === 'list' && f.listKind !== 'message') {
    legal.add(f.listKind === 'enum' ? 0 : scalarWire(f.scalar));
    legal.add(2);
  } else legal.add(2);
  return rng.pick([0, 1, 2, 5].filter((w) => !legal.has(w)));
}

function valueFor(wt: number, rng: Rng): Buffer {
  if (wt === 0) return varint(rng.int(1000));
  if (wt === 1) return rng.bytes(8);
  if (wt === 5) return rng.bytes(4);
  const n = rng.int(6);
  return Buffer.concat([varint(n), Buffer.from('abcdef'.slice(0, n))]);
}

const VARINT_SCALARS = new Set([ScalarType.INT32, ScalarType.INT64, ScalarType.UINT32, ScalarType.UINT64, ScalarType.SINT32, ScalarType.SINT64, ScalarType.BOOL]);

const INVALID_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // surrogate
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xe2, 0x82], // truncated sequence
  [0x80],
  [0xc3],
];

function unknownFieldNo(desc: DescMessage, rng: Rng): number {
  const used = new Set(desc.fields.map((f) => f.number));
  for (;;) {
    const n = rng.pick([99, 1000, 536_870_911, 40 + rng.int(60), 19_500]);
    if (!used.has(n)) return n;
  }
}

/** The defect, appended at the end of a valid message of type `desc` (so it is the last thing the decoder reads there). */
function defect(kind: MalformedKind, desc: DescMessage, rng: Rng): Buffer | undefined {
  const unknown = unknownFieldNo(desc, rng);
  switch (kind) {
    case 'zero-tag':
      return Buffer.from(rng.pick([[0x00], [0x80, 0x00], [0x80, 0x80, 0x80, 0x80, 0x00], [0x00, 0x08, 0x01]]));
    case 'wrong-wire-type': {
      const f = rng.pick(desc.fields);
      const wt = wrongWireType(f, rng);
      return Buffer.concat([tag(f.number, wt), valueFor(wt, rng)]);
    }
    case 'invalid-utf8': {
      const strings = desc.fields.filter((f) => (f.fieldKind === 'scalar' || f.fieldKind === 'list') && f.scalar === ScalarType.STRING);
      const maps = desc.fields.filter((f) => f.fieldKind === 'map');
      const bad = Buffer.from(rng.pick(INVALID_UTF8));
      const text = Buffer.concat([Buffer.from(rng.pick(['id', '', 'caf'])), bad, Buffer.from(rng.pick(['1', '', 'x']))]);
      if (strings.length && (maps.length === 0 || rng.chance(0.7))) return lenField(rng.pick(strings).number, text);
      if (maps.length) {
        const m = rng.pick(maps);
        const entry = rng.chance(0.5) ? lenField(1, text) : Buffer.concat([lenField(1, Buffer.from('k')), m.mapKind === 'scalar' && m.scalar === ScalarType.STRING ? lenField(2, text) : lenField(1, text)]);
        return lenField(m.number, entry);
      }
      return undefined;
    }
    case 'length-past-end': {
      const n = 1 + rng.int(3);
      return Buffer.concat([tag(rng.chance(0.5) ? unknown : rng.pick(desc.fields).number, 2), varint(n + 1 + rng.int(1000)), Buffer.from('abc'.slice(0, n))]);
    }
    case 'huge-length': {
      // 2^32 + small (wraps to the small value when read as 32 bits), 2^35-1, or 2^31 (past any frame).
      const len = rng.pick([2 ** 32 + 5, 2 ** 32, 2 ** 35 - 1, 2 ** 31, 2 ** 32 + 1]);
      return Buffer.concat([tag(rng.chance(0.5) ? unknown : rng.pick(desc.fields).number, 2), varint(len), Buffer.from('abcde')]);
    }
    case 'long-varint': {
      const vf = desc.fields.filter((f) => f.fieldKind === 'enum' || (f.fieldKind === 'scalar' && VARINT_SCALARS.has(f.scalar)));
      const no = vf.length && rng.chance(0.6) ? rng.pick(vf).number : unknown;
      return Buffer.concat([tag(no, 0), Buffer.alloc(10 + rng.int(6), 0xff), Buffer.from([0x01])]);
    }
    case 'bad-tag':
      // longer than 5 bytes, or 2^32 or more
      return Buffer.from(rng.pick([[0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01], [0x88, 0x80, 0x80, 0x80, 0x10, 0x01], [0xf8, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]]));
    case 'group':
      return rng.chance(0.5) ? Buffer.concat([tag(unknown, 3), tag(1, 0), varint(1), tag(unknown, 4)]) : tag(unknown, 4);
    case 'bad-wire-type':
      return Buffer.concat([tag(rng.chance(0.5) ? unknown : rng.pick(desc.fields).number, rng.pick([6, 7])), Buffer.from([0x01, 0x02])]);
    case 'truncated-fixed':
      return Buffer.concat([tag(unknown, rng.pick([1, 5])), rng.bytes(rng.int(4))]);
    case 'bad-unknown-field':
      return rng.pick([Buffer.concat([tag(unknown, 0), Buffer.from([0x80, 0x80])]), Buffer.concat([tag(unknown, 2), Buffer.from([0x85])])]);
    case 'duplicate-message': {
      const mf = desc.fields.filter((f) => f.fieldKind === 'message');
      if (!mf.length) return undefined;
      const f = rng.pick(mf);
      return Buffer.concat([lenField(f.number, Buffer.alloc(0)), lenField(f.number, Buffer.alloc(0))]);
    }
    default:
      return undefined;
  }
}

const NESTED_KINDS: MalformedKind[] = [
  'zero-tag',
  'wrong-wire-type',
  'invalid-utf8',
  'length-past-end',
  'huge-length',
  'long-varint',
  'bad-tag',
  'group',
  'bad-wire-type',
  'truncated-fixed',
  'bad-unknown-field',
  'duplicate-message',
];

/** One malformed frame of the given kind. `bases` are valid frames (encoded requests) to truncate or flip. */
export function malformedFrame(kind: MalformedKind, rng: Rng, bases: Buffer[]): MalformedFrame {
  for (let attempt = 0; attempt < 50; attempt++) {
    const m = tryMalformed(kind, rng, bases);
    if (m) return m;
  }
  throw new Error(`could not make a malformed frame of kind ${kind}`);
}

function tryMalformed(kind: MalformedKind, rng: Rng, bases: Buffer[]): MalformedFrame | undefined {
  switch (kind) {
    case 'truncated': {
      // Cut strictly inside the last top-level length-delimited field: its length then runs past the end.
      const base = rng.pick(bases);
      const fields = topLevelFields(base).filter(([, , p, e]) => e - p >= 2);
      const last = fields[fields.length - 1];
      if (!last || last[3] !== base.length) return undefined;
      const cut = last[2] + 1 + rng.int(last[3] - last[2] - 1);
      return { kind, frame: base.subarray(0, cut) };
    }
    case 'bit-flip': {
      const base = Buffer.from(rng.pick(bases));
      if (base.length === 0) return undefined;
      for (let i = 1 + rng.int(3); i > 0; i--) base[rng.int(base.length)] ^= 1 << rng.int(8);
      return referenceAccepts(base) ? undefined : { kind, frame: base };
    }
    case 'random-bytes': {
      const frame = rng.bytes(1 + rng.int(rng.chance(0.8) ? 64 : 2048));
      return referenceAccepts(frame) ? undefined : { kind, frame };
    }
    default: {
      if (!NESTED_KINDS.includes(kind)) return undefined;
      const chain = randomChain(rng);
      const inner = chain[chain.length - 1].desc;
      const bad = defect(kind, inner, rng);
      if (!bad) return undefined;
      const innerBytes = Buffer.concat([encodeWithout(inner, rng), bad]);
      return { kind, frame: wrapChain(chain, innerBytes, rng), where: chainPath(chain) || '(top level)' };
    }
  }
}

/** `n` malformed frames, the kinds taking turns. */
export function malformedFrames(n: number, seed: number, bases: Buffer[], kinds: readonly MalformedKind[] = MALFORMED_KINDS): MalformedFrame[] {
  const rng = new Rng(seed);
  const out: MalformedFrame[] = [];
  for (let i = 0; i < n; i++) out.push(malformedFrame(kinds[i % kinds.length], rng, bases));
  return out;
}
