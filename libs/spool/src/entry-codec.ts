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

export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

export function encodePayload(records: OutRecord[], eventIds: readonly string[] = []): Buffer {
  const topics: string[] = [];
  const topicIndex = new Map<string, number>();
  let size = 1 + 4 + 1 + 4;
  for (const id of eventIds) size += 2 + Buffer.byteLength(id);
  for (const r of records) {
    if (!topicIndex.has(r.topic)) {
      if (topics.length === 255) throw new PayloadError('an entry holds at most 255 topics');
      topicIndex.set(r.topic, topics.length);
      topics.push(r.topic);
      size += 2 + Buffer.byteLength(r.topic);
    }
    size += 1 + 1 + 4 + (r.key === null ? 0 : 4 + Buffer.byteLength(r.key));
    size += typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length;
  }
  const buf = Buffer.allocUnsafe(size);
  let o = buf.writeUInt8(VERSION, 0);
  o = buf.writeUInt32LE(eventIds.length, o);
  for (const id of eventIds) o = writeShortString(buf, o, id);
  o = buf.writeUInt8(topics.length, o);
  for (const t of topics) o = writeShortString(buf, o, t);
  o = buf.writeUInt32LE(records.length, o);
  for (const r of records) {
    const binary = typeof r.value !== 'string';
    o = buf.writeUInt8((r.key === null ? 0 : KEY) | (binary ? BINARY : 0), o);
    o = buf.writeUInt8(topicIndex.get(r.topic)!, o);
    if (r.key !== null) {
      const n = buf.write(r.key, o + 4, 'utf8');
      buf.writeUInt32LE(n, o);
      o += 4 + n;
    }
    if (binary) {
      const v = r.value as Buffer;
      buf.writeUInt32LE(v.length, o);
      v.copy(buf, o + 4);
      o += 4 + v.length;
    } else {
      const n = buf.write(r.value as string, o + 4, 'utf8');
      buf.writeUInt32LE(n, o);
      o += 4 + n;
    }
  }
  if (o !== size) throw new PayloadError(`internal: encoded ${o} bytes, expected ${size}`);
  return buf;
}

function writeShortString(buf: Buffer, o: number, s: string): number {
  const n = buf.write(s, o + 2, 'utf8');
  if (n > 0xffff) throw new PayloadError(`string of ${n} bytes is too long for an entry`);
  buf.writeUInt16LE(n, o);
  return o + 2 + n;
}

/** Decodes a payload; throws PayloadError when it is not one (the CRC matched, so: a bug or a foreign file). */
export function decodePayload(buf: Buffer, want: { records?: boolean } = {}): EntryContent {
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
    records[i] = { topic, key, value: flags & BINARY ? Buffer.from(v) : v.toString('utf8') };
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
