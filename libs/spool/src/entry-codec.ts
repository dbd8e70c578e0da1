// What one spool entry holds: one accepted batch, as the records the sink will publish and
// the ids of the events they came from. Length-prefixed binary, topics interned per entry.
//
//   u8  version (1)
//   u32 event id count, then per id:  u16 length, UTF-8 bytes
//   u8  topic count,    then per topic: u16 length, UTF-8 bytes
//   u32 record count,   then per record:
//       u8  flags (1 = key present, 2 = value is binary, else UTF-8 text)
//       u8  topic index
//       u32 key length,   key bytes   (only with flag 1)
//       u32 value length, value bytes
//
// Integers are little-endian. The entry framing (length, CRC32, sequence number) is in
// segment-format.ts; this file only knows the payload.
import type { OutRecord } from '@sparkwire/pipeline';

const VERSION = 1;
const KEY = 1;
const BINARY = 2;

export interface EntryContent {
  records: OutRecord[];
  eventIds: string[];
}

/**
 * A record the spool hands its drainer when values go out as bytes (SpoolOptions.valuesAsBytes):
 * the value is a view of the spooled bytes; `text` says it was UTF-8 text (a JSON record), so
 * what needs the text (the dead-letter store) can have it back.
 */
export interface SpooledRecord extends OutRecord {
  text: boolean;
}

/** The records of an entry with their values as views of `values` (encodeEntry), text flagged. */
export function spooledRecords(records: OutRecord[], values: Buffer[]): SpooledRecord[] {
  const out: SpooledRecord[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    out[i] = { topic: r.topic, key: r.key, value: values[i], text: typeof r.value === 'string' };
  }
  return out;
}

/** The record as the pipeline wrote it: a text value back as a string. */
export function asWritten(r: OutRecord): OutRecord {
  const s = r as Partial<SpooledRecord>;
  return s.text === true ? { topic: r.topic, key: r.key, value: (r.value as Buffer).toString('utf8') } : r;
}

export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

export function encodePayload(records: OutRecord[], eventIds: readonly string[] = []): Buffer {
  return writePayload(records, eventIds, 0).buf;
}

/**
 * The entry's payload written behind `headerBytes` bytes left free for its frame header
 * (segment-format.ts, frameInPlace: the framing then copies nothing), and views of each
 * record's value bytes in it. Why views: a Kafka client sends bytes, so records the drainer
 * hands it as these views are not encoded to UTF-8 again (nor measured again), and the text
 * leaves the V8 heap as soon as it is written here.
 */
export function encodeEntry(records: OutRecord[], eventIds: readonly string[], headerBytes: number): { buf: Buffer; values: Buffer[] } {
  const values: Buffer[] = new Array(records.length);
  return { buf: writePayload(records, eventIds, headerBytes, values).buf, values };
}

// Payloads are written here first, then copied out at their exact size: sizing them first would
// take a Buffer.byteLength pass over every string value, slower than the copy.
// Kept for the next entry up to SCRATCH_MAX (a larger batch gets a buffer of its own).
const SCRATCH_MAX = 4 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(1024 * 1024);

function writePayload(records: OutRecord[], eventIds: readonly string[], at: number, values?: Buffer[]): { buf: Buffer } {
  const topics: string[] = [];
  const topicIndex = new Map<string, number>();
  // An upper bound: a UTF-16 code unit is at most 3 UTF-8 bytes.
  let bound = at + 1 + 4 + 1 + 4;
  for (const id of eventIds) bound += 2 + id.length * 3;
  for (const r of records) {
    if (!topicIndex.has(r.topic)) {
      if (topics.length === 255) throw new PayloadError('an entry holds at most 255 topics');
      topicIndex.set(r.topic, topics.length);
      topics.push(r.topic);
      bound += 2 + r.topic.length * 3;
    }
    bound += 1 + 1 + 4 + (r.key === null ? 0 : 4 + r.key.length * 3);
    bound += typeof r.value === 'string' ? r.value.length * 3 : r.value.length;
  }
  if (scratch.length < bound && bound <= SCRATCH_MAX) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(bound, scratch.length * 2)));
  const s = scratch.length >= bound ? scratch : Buffer.allocUnsafe(bound);
  let o = s.writeUInt8(VERSION, at);
  o = s.writeUInt32LE(eventIds.length, o);
  for (const id of eventIds) o = writeShortString(s, o, id);
  o = s.writeUInt8(topics.length, o);
  for (const t of topics) o = writeShortString(s, o, t);
  o = s.writeUInt32LE(records.length, o);
  const starts: number[] | undefined = values ? new Array(records.length) : undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const binary = typeof r.value !== 'string';
    o = s.writeUInt8((r.key === null ? 0 : KEY) | (binary ? BINARY : 0), o);
    o = s.writeUInt8(topicIndex.get(r.topic)!, o);
    if (r.key !== null) {
      const n = s.write(r.key, o + 4, 'utf8');
      s.writeUInt32LE(n, o);
      o += 4 + n;
    }
    const n = binary ? (r.value as Buffer).copy(s, o + 4) : s.write(r.value as string, o + 4, 'utf8');
    s.writeUInt32LE(n, o);
    if (starts) starts[i] = o + 4;
    o += 4 + n;
  }
  const buf = Buffer.allocUnsafe(o);
  s.copy(buf, at, at, o);
  if (values && starts) for (let i = 0; i < records.length; i++) values[i] = buf.subarray(starts[i], starts[i] + buf.readUInt32LE(starts[i] - 4));
  return { buf };
}

function writeShortString(buf: Buffer, o: number, s: string): number {
  const n = buf.write(s, o + 2, 'utf8');
  if (n > 0xffff) throw new PayloadError(`string of ${n} bytes is too long for an entry`);
  buf.writeUInt16LE(n, o);
  return o + 2 + n;
}

/** Decodes a payload; throws PayloadError when it is not one (the CRC matched, so: a bug or a foreign file). */
export function decodePayload(buf: Buffer, want: { records?: boolean; views?: boolean } = {}): EntryContent {
  const r = new Reader(buf);
  const version = r.u8();
  if (version !== VERSION) throw new PayloadError(`unknown payload version ${version}`);
  const idCount = r.u32();
  const eventIds: string[] = new Array(idCount);
  for (let i = 0; i < idCount; i++) eventIds[i] = r.shortString();
  const topicCount = r.u8();
  const topics: string[] = new Array(topicCount);
  for (let i = 0; i < topicCount; i++) topics[i] = r.shortString();
  const recordCount = r.u32();
  if (want.records === false) return { records: [], eventIds };
  const records: OutRecord[] = new Array(recordCount);
  for (let i = 0; i < recordCount; i++) {
    const flags = r.u8();
    const topic = topics[r.u8()];
    if (topic === undefined) throw new PayloadError(`record ${i}: topic index out of range`);
    const key = flags & KEY ? r.bytes(r.u32()).toString('utf8') : null;
    const v = r.bytes(r.u32());
    // views: every value as a view of `buf` (SpooledRecord), as the cache holds appended entries.
    records[i] = want.views ? ({ topic, key, value: v, text: !(flags & BINARY) } as SpooledRecord) : { topic, key, value: flags & BINARY ? Buffer.from(v) : v.toString('utf8') };
  }
  if (r.offset !== buf.length) throw new PayloadError(`${buf.length - r.offset} trailing bytes`);
  return { records, eventIds };
}

/** Topics and record count only (cheap: used during recovery). */
export function payloadSummary(buf: Buffer): { topics: string[]; records: number; eventIds: string[] } {
  const r = new Reader(buf);
  if (r.u8() !== VERSION) throw new PayloadError('unknown payload version');
  const idCount = r.u32();
  const eventIds: string[] = new Array(idCount);
  for (let i = 0; i < idCount; i++) eventIds[i] = r.shortString();
  const topicCount = r.u8();
  const topics: string[] = new Array(topicCount);
  for (let i = 0; i < topicCount; i++) topics[i] = r.shortString();
  return { topics, records: r.u32(), eventIds };
}

class Reader {
  offset = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new PayloadError(`truncated payload at byte ${this.offset}`);
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.offset++);
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
  shortString(): string {
    this.need(2);
    const n = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return this.bytes(n).toString('utf8');
  }
}

/** A record's memory estimate (JS strings: UTF-16 units), for the entry cache's budget. */
export function recordSize(r: OutRecord): number {
  return r.value.length + (r.key?.length ?? 0) + 64;
}
