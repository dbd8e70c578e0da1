// The reading side of the spool: entries in order, from memory while the drainer keeps up,
// from disk when it fell behind (Kafka down) or after a restart.
//
// Appended entries are kept in a small cache (bounded in bytes) keyed by their place on
// disk, so the common case never reads back what was just written. An entry not in the
// cache is read from its segment, its CRC checked again.
import { open, type FileHandle } from 'node:fs/promises';
import type { OutRecord } from '@sparkwire/pipeline';
import { decodePayload, recordSize } from './entry-codec';
import { EntryReader, type BadRange } from './segment-format';
import type { LiveSegment, WriteAheadLog } from './wal';

export interface SpoolEntry {
  seq: number;
  timeMs: number;
  records: OutRecord[];
  segment: LiveSegment;
  offset: number;
  size: number;
}

interface Cached {
  seq: number;
  timeMs: number;
  records: OutRecord[];
  size: number;
  /** Memory estimate. */
  bytes: number;
}

export class EntryCache {
  private readonly map = new Map<string, Cached>();
  bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly budget: number) {}

  /** Keeps an appended entry if the budget allows (older entries are never evicted: they are needed first). */
  offer(segment: string, offset: number, e: Omit<Cached, 'bytes'>): void {
    let bytes = 64;
    for (const r of e.records) bytes += recordSize(r);
    if (this.bytes + bytes > this.budget) return;
    this.map.set(`${segment}:${offset}`, { ...e, bytes });
    this.bytes += bytes;
  }

  take(segment: string, offset: number): Cached | undefined {
    const k = `${segment}:${offset}`;
    const c = this.map.get(k);
    if (c) {
      this.map.delete(k);
      this.bytes -= c.bytes;
      this.hits++;
    } else this.misses++;
    return c;
  }

  /** Drops entries of a segment (removed from disk). */
  dropSegment(segment: string): void {
    const prefix = `${segment}:`;
    for (const [k, c] of this.map) {
      if (k.startsWith(prefix)) {
        this.map.delete(k);
        this.bytes -= c.bytes;
      }
    }
  }

  get size(): number {
    return this.map.size;
  }
}

export class SpoolCursor {
  private seg?: LiveSegment;
  private offset = 0;
  private lastSeq = 0;
  private fh?: FileHandle;
  private reader?: EntryReader;
  diskReads = 0;

  constructor(
    private readonly wal: WriteAheadLog<unknown>,
    private readonly cache: EntryCache,
    private readonly onBad: (segment: string, bad: BadRange) => void,
    private readonly onUndecodable: (segment: string, offset: number, err: Error) => void,
    /** Values as views of the bytes read (SpooledRecord), as the cache holds them with valuesAsBytes. */
    private readonly views = false,
  ) {}

  /** The next entry that is durable, or undefined when the reader is at the end of what was appended. */
  async next(): Promise<SpoolEntry | undefined> {
    for (;;) {
      if (!this.seg) {
        const first = this.wal.segments[0];
        if (!first) return undefined;
        this.seg = first;
        this.offset = first.dataStart;
      }
      const seg = this.seg;
      if (this.offset < seg.visibleEnd) {
        const c = this.cache.take(seg.name, this.offset);
        if (c) {
          const entry: SpoolEntry = { seq: c.seq, timeMs: c.timeMs, records: c.records, segment: seg, offset: this.offset, size: c.size };
          this.offset += c.size;
          this.lastSeq = c.seq;
          return entry;
        }
        const reader = await this.readerAt(seg);
        const e = await reader.next();
        this.offset = reader.offset;
        if (!e) continue;
        this.lastSeq = e.seq;
        this.diskReads++;
        try {
          const { records } = decodePayload(e.payload, { views: this.views });
          return { seq: e.seq, timeMs: e.timeMs, records, segment: seg, offset: e.offset, size: e.size };
        } catch (err) {
          this.onUndecodable(seg.name, e.offset, err as Error);
          continue;
        }
      }
      if (seg.active) return undefined;
      const next = this.nextSegment(seg);
      if (!next) return undefined;
      await this.closeReader();
      this.seg = next;
      this.offset = next.dataStart;
    }
  }

  async close(): Promise<void> {
    await this.closeReader();
  }

  private nextSegment(seg: LiveSegment): LiveSegment | undefined {
    const segs = this.wal.segments;
    const i = segs.indexOf(seg);
    if (i >= 0) return segs[i + 1];
    return segs.find((s) => s.firstSeq >= seg.firstSeq && s !== seg);
  }

  private async readerAt(seg: LiveSegment): Promise<EntryReader> {
    if (!this.reader || this.reader.offset !== this.offset) {
      if (!this.fh) this.fh = await open(seg.path, 'r');
      this.reader = new EntryReader(this.fh, this.offset, seg.visibleEnd, (b) => this.onBad(seg.name, b), this.lastSeq);
    } else {
      this.reader.extendTo(seg.visibleEnd);
    }
    return this.reader;
  }

  private async closeReader(): Promise<void> {
    this.reader = undefined;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }
}
