// The on-disk format of a spool segment, and a reader that checks every entry.
//
// A segment is one file, `segment-<first seq, 16 digits>.swl`:
//
//   file header, 16 bytes: "SWSPOOL1" (8 bytes ASCII), u32 format version (1), u32 reserved
//   entries, back to back, each:
//     0  u32 magic 0x31505753 ("SWP1" on disk)
//     4  u32 payload length
//     8  u32 CRC-32 of bytes 4..8 (the length) followed by bytes 12..32+length
//    12  u32 flags (0)
//    16  u64 sequence number (strictly increasing across segments, gaps allowed)
//    24  f64 append time, ms since the epoch
//    32  payload (entry-codec.ts)
//
// Little-endian throughout. The magic lets a reader find the next entry after a damaged
// one (resync), and the CRC covers the length so a torn or flipped length is caught.
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from './crc32';

export const FILE_MAGIC = Buffer.from('SWSPOOL1', 'ascii');
export const FILE_VERSION = 1;
export const FILE_HEADER_BYTES = 16;
export const ENTRY_MAGIC = 0x31505753;
export const ENTRY_HEADER_BYTES = 32;
/** No entry is larger than this (a batch is at most 64 MiB on the wire; encoded records stay below 4x). */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export const SEGMENT_RE = /^segment-(\d{16})\.swl$/;
export const segmentName = (firstSeq: number) => `segment-${String(firstSeq).padStart(16, '0')}.swl`;

export function fileHeader(): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(b, 0);
  b.writeUInt32LE(FILE_VERSION, 8);
  return b;
}

export function validFileHeader(b: Buffer): boolean {
  return b.length >= FILE_HEADER_BYTES && b.subarray(0, 8).equals(FILE_MAGIC) && b.readUInt32LE(8) === FILE_VERSION;
}

/** One framed entry, ready to write. */
export function frameEntry(seq: number, timeMs: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + payload.length);
  payload.copy(b, ENTRY_HEADER_BYTES);
  return frameInPlace(b, seq, timeMs);
}

/** Frames the payload at b[ENTRY_HEADER_BYTES..] in place: writes the header into b's first bytes. */
export function frameInPlace(b: Buffer, seq: number, timeMs: number): Buffer {
  const payloadLength = b.length - ENTRY_HEADER_BYTES;
  b.writeUInt32LE(ENTRY_MAGIC, 0);
  b.writeUInt32LE(payloadLength, 4);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(seq % 0x1_0000_0000, 16);
  b.writeUInt32LE(Math.floor(seq / 0x1_0000_0000), 20);
  b.writeDoubleLE(timeMs, 24);
  b.writeUInt32LE(entryCrc(b, payloadLength), 8);
  return b;
}

function entryCrc(b: Buffer, payloadLength: number, at = 0): number {
  return crc32(b.subarray(at + 12, at + ENTRY_HEADER_BYTES + payloadLength), crc32(b.subarray(at + 4, at + 8)));
}

export interface EntryRef {
  seq: number;
  timeMs: number;
  /** Offset of the entry's header in the file. */
  offset: number;
  /** Header + payload. */
  size: number;
  payload: Buffer;
}

export interface BadRange {
  /** First damaged byte. */
  offset: number;
  /** Bytes skipped (up to the next good entry, or the end of what was read). */
  length: number;
  reason: string;
}

/**
 * Reads entries of one file in order from `start` up to `end`, checking each entry's
 * magic, length and CRC. A damaged entry is reported (onBad) and skipped by searching for
 * the next position where a complete, valid entry starts; nothing after a damaged region
 * is trusted unless its own CRC matches. Reads in chunks, so a segment never has to fit
 * in memory.
 */
export class EntryReader {
  private chunk = Buffer.alloc(0);
  private chunkStart = 0;
  /** Where the next entry is expected. */
  offset: number;
  /** Sequence number of the last entry returned (entries must increase). */
  lastSeq: number;

  constructor(
    private readonly fh: FileHandle,
    start: number,
    private end: number,
    private readonly onBad: (bad: BadRange) => void,
    lastSeq = 0,
    private readonly chunkBytes = 1024 * 1024,
  ) {
    this.offset = start;
    this.lastSeq = lastSeq;
  }

  /** Lets a reader of a file still being appended to see more of it. */
  extendTo(end: number): void {
    this.end = Math.max(this.end, end);
  }

  get limit(): number {
    return this.end;
  }

  /** The next valid entry, or undefined at `end` (after reporting any damage before it). */
  async next(): Promise<EntryRef | undefined> {
    let badFrom = -1;
    let reason = '';
    while (this.offset + ENTRY_HEADER_BYTES <= this.end) {
      const problem = await this.check(this.offset);
      if (typeof problem !== 'string') {
        if (badFrom >= 0) this.onBad({ offset: badFrom, length: this.offset - badFrom, reason });
        this.offset += problem.size;
        this.lastSeq = problem.seq;
        return problem;
      }
      if (badFrom < 0) {
        badFrom = this.offset;
        reason = problem;
      }
      this.offset = await this.findMagic(this.offset + 1);
    }
    // What is left is too short for an entry: damage (or a torn tail) unless it is empty.
    if (badFrom < 0 && this.offset < this.end) {
      badFrom = this.offset;
      reason = 'truncated entry header';
    }
    if (badFrom >= 0) {
      this.onBad({ offset: badFrom, length: this.end - badFrom, reason });
      this.offset = this.end;
    }
    return undefined;
  }

  /** An entry at `at`, or why there is none. */
  private async check(at: number): Promise<EntryRef | string> {
    const h = await this.bytes(at, ENTRY_HEADER_BYTES);
    if (h.readUInt32LE(0) !== ENTRY_MAGIC) return 'bad entry magic';
    const len = h.readUInt32LE(4);
    if (len > MAX_PAYLOAD_BYTES) return `implausible payload length ${len}`;
    if (at + ENTRY_HEADER_BYTES + len > this.end) return 'entry runs past the end of the data (truncated)';
    const whole = await this.bytes(at, ENTRY_HEADER_BYTES + len);
    if (whole.readUInt32LE(8) !== entryCrc(whole, len)) return 'CRC mismatch';
    const seq = whole.readUInt32LE(16) + whole.readUInt32LE(20) * 0x1_0000_0000;
    if (seq <= this.lastSeq) return `sequence ${seq} does not follow ${this.lastSeq}`;
    return { seq, timeMs: whole.readDoubleLE(24), offset: at, size: ENTRY_HEADER_BYTES + len, payload: whole.subarray(ENTRY_HEADER_BYTES) };
  }

  /** The next offset >= from where the entry magic appears (or end). */
  private async findMagic(from: number): Promise<number> {
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(ENTRY_MAGIC, 0);
    let pos = from;
    while (pos + 4 <= this.end) {
      const n = Math.min(this.chunkBytes, this.end - pos);
      const b = await this.bytes(pos, n);
      const i = b.indexOf(magic);
      if (i >= 0) return pos + i;
      pos += Math.max(1, n - 3);
    }
    return this.end;
  }

  private async bytes(at: number, n: number): Promise<Buffer> {
    if (at >= this.chunkStart && at + n <= this.chunkStart + this.chunk.length) {
      return this.chunk.subarray(at - this.chunkStart, at - this.chunkStart + n);
    }
    const want = Math.min(Math.max(n, this.chunkBytes), this.end - at);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.chunk = buf.subarray(0, got);
    this.chunkStart = at;
    if (got < n) {
      // The file is shorter than we were told: treat the rest as absent.
      this.end = at + got;
      return Buffer.alloc(n); // zeros: fails the magic check
    }
    return this.chunk.subarray(0, n);
  }
}
