// The writing side of the spool: appends entries to the active segment, rolls to a new
// segment at segmentBytes, and makes appends durable according to the fsync policy.
//
// fsync 'batch' (default): group commit. Appends that arrive while a write is in progress
// wait for the next round; each round is one positional write and one fdatasync, and every
// append of the round resolves after its fdatasync. Nothing acked is lost, even on power loss.
//
// fsync 'interval': an append resolves once its write() returned (the data is in the OS page
// cache: it survives a crash or kill -9 of the sidecar), and a timer fdatasyncs every
// fsyncIntervalMs. On power loss or an OS crash, appends acked in the last fsyncIntervalMs
// (plus the duration of one fdatasync) can be lost.
//
// An entry becomes visible to the drainer only when it is durable per the policy, so a
// record never reaches Kafka before it would survive a crash of the sidecar.
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from './checkpoint';
import type { SegmentInfo } from './recovery';
import { fileHeader, FILE_HEADER_BYTES, frameInPlace, segmentName } from './segment-format';

export type FsyncPolicy = 'batch' | 'interval';

export interface WalOptions {
  dir: string;
  segmentBytes: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
}

export interface LiveSegment extends SegmentInfo {
  /** Bytes up to which entries are durable (per the policy) and may be read. */
  visibleEnd: number;
  active: boolean;
}

export interface Visible<T> {
  segment: LiveSegment;
  seq: number;
  offset: number;
  size: number;
  timeMs: number;
  tag: T;
}

interface Pending<T> {
  /** The entry: its payload behind ENTRY_HEADER_BYTES of room for the header, filled in at write time. */
  frame: Buffer;
  tag: T;
  resolve: (v: Visible<T>) => void;
  reject: (e: Error) => void;
}

export interface WalStats {
  appends: number;
  appendedBytes: number;
  fsyncs: number;
  rounds: number;
  rolls: number;
  writeErrors: number;
}

export class WriteAheadLog<T> {
  readonly segments: LiveSegment[];
  readonly stats: WalStats = { appends: 0, appendedBytes: 0, fsyncs: 0, rounds: 0, rolls: 0, writeErrors: 0 };
  private active!: LiveSegment;
  private fh!: FileHandle;
  private nextSeq: number;
  private queue: Pending<T>[] = [];
  private loop?: Promise<void>;
  private dirty = false;
  private syncTimer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private closed = false;

  private constructor(
    private readonly opts: WalOptions,
    recovered: SegmentInfo[],
    lastSeq: number,
    private readonly onVisible: (v: Visible<T>[]) => void,
  ) {
    this.segments = recovered.map((s) => ({ ...s, visibleEnd: s.size, active: false }));
    this.nextSeq = lastSeq + 1;
  }

  /** Opens the log after recovery: appends always go to a fresh segment. */
  static async open<T>(opts: WalOptions, recovered: SegmentInfo[], lastSeq: number, onVisible: (v: Visible<T>[]) => void): Promise<WriteAheadLog<T>> {
    const wal = new WriteAheadLog<T>(opts, recovered, lastSeq, onVisible);
    await wal.roll();
    if (opts.fsync === 'interval') {
      wal.syncTimer = setInterval(() => void wal.syncIfDirty(), opts.fsyncIntervalMs);
      wal.syncTimer.unref();
    }
    return wal;
  }

  /** Bytes of every segment on disk (published or not). */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Appends one entry: `frame` holds its payload at ENTRY_HEADER_BYTES (entry-codec.ts
   * encodeEntry leaves that room); the header is written into it when its sequence number is known.
   */
  append(frame: Buffer, tag: T): Promise<Visible<T>> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, tag, resolve, reject });
      this.loop ??= this.writeLoop().finally(() => (this.loop = undefined));
    });
  }

  /** Removes a segment that is no longer needed (never the active one). */
  async remove(seg: LiveSegment): Promise<void> {
    if (seg.active) throw new Error('internal: cannot remove the active segment');
    const i = this.segments.indexOf(seg);
    if (i >= 0) this.segments.splice(i, 1);
    await rm(seg.path, { force: true });
  }

  async syncDir(): Promise<void> {
    await syncDir(this.opts.dir);
  }

  /** Waits for queued appends, syncs and closes the active segment. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.syncTimer);
    while (this.loop) await this.loop;
    await this.syncing;
    try {
      await this.fh.datasync();
    } finally {
      await this.fh.close();
    }
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const round = this.queue.splice(0);
      let done = 0;
      try {
        while (done < round.length) {
          // Entries for the active segment until it would pass segmentBytes (at least one per segment).
          const bufs: Buffer[] = [];
          const placed: Array<Omit<Visible<T>, 'segment'>> = [];
          const start = this.active.size;
          let size = start;
          const now = Date.now();
          let i = done;
          for (; i < round.length; i++) {
            const frame = round[i].frame;
            // An entry goes behind what is there if it fits; an empty segment takes any one entry.
            if (size + frame.length > this.opts.segmentBytes && (placed.length > 0 || this.active.entries > 0)) break;
            frameInPlace(frame, this.nextSeq, now);
            placed.push({ seq: this.nextSeq++, offset: size, size: frame.length, timeMs: now, tag: round[i].tag });
            bufs.push(frame);
            size += frame.length;
          }
          if (placed.length === 0) {
            await this.roll();
            continue;
          }
          // One positional writev of the round's frames: no copy into one buffer.
          await writeAllv(this.fh, bufs, start);
          this.active.size = size;
          if (this.opts.fsync === 'batch') {
            await this.fh.datasync();
            this.stats.fsyncs++;
          } else {
            this.dirty = true;
          }
          this.stats.rounds++;
          const seg = this.active;
          const visible = placed.map((p) => ({ ...p, segment: seg }));
          seg.visibleEnd = size;
          seg.entries += placed.length;
          seg.lastSeq = placed[placed.length - 1].seq;
          this.stats.appends += placed.length;
          this.stats.appendedBytes += size - start;
          this.onVisible(visible);
          for (let k = 0; k < placed.length; k++) round[done + k].resolve(visible[k]);
          done = i;
          if (size >= this.opts.segmentBytes) await this.roll();
        }
      } catch (err) {
        this.stats.writeErrors++;
        const e = new Error(`spool write failed: ${(err as Error).message}`);
        for (const p of round.slice(done)) p.reject(e);
        // Whatever part of the failed write reached the file is cut off where possible; appends
        // continue in a new segment either way (sequence numbers are never reused).
        await this.fh.truncate(this.active.visibleEnd).catch(() => undefined);
        this.active.size = this.active.visibleEnd;
        await this.roll().catch(() => undefined);
      }
    }
  }

  private async syncIfDirty(): Promise<void> {
    if (!this.dirty || this.syncing || this.closed) return;
    this.dirty = false;
    const fh = this.fh;
    this.syncing = fh
      .datasync()
      .then(() => void this.stats.fsyncs++)
      .catch(() => {
        this.dirty = true;
      })
      .finally(() => (this.syncing = undefined));
    await this.syncing;
  }

  private async roll(): Promise<void> {
    const old = this.active as LiveSegment | undefined;
    const oldFh = this.fh as FileHandle | undefined;
    const name = segmentName(this.nextSeq);
    const path = join(this.opts.dir, name);
    const fh = await open(path, 'w');
    try {
      await writeFully(fh, fileHeader(), 0);
      if (this.opts.fsync === 'batch') await fh.datasync();
    } catch (err) {
      await fh.close();
      throw err;
    }
    if (old && oldFh) {
      await this.syncing;
      if (old.entries === 0) {
        await oldFh.close().catch(() => undefined);
        if (old.path !== path) await rm(old.path, { force: true }).catch(() => undefined);
        const i = this.segments.indexOf(old);
        if (i >= 0) this.segments.splice(i, 1);
      } else {
        await oldFh.datasync().catch(() => undefined);
        await oldFh.close().catch(() => undefined);
      }
      old.active = false;
    }
    const seg: LiveSegment = { name, path, firstSeq: this.nextSeq, lastSeq: 0, entries: 0, size: FILE_HEADER_BYTES, dataStart: FILE_HEADER_BYTES, visibleEnd: FILE_HEADER_BYTES, active: true };
    this.segments.push(seg);
    this.active = seg;
    this.fh = fh;
    this.dirty = this.opts.fsync === 'interval';
    this.stats.rolls++;
    await syncDir(this.opts.dir);
  }
}

async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, position + off);
    if (bytesWritten <= 0) throw new Error('short write');
    off += bytesWritten;
  }
}

/** Writes all of bufs at `position` (writev; what a short write leaves is written after it). */
async function writeAllv(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  if (bufs.length === 1) return writeFully(fh, bufs[0], position);
  let total = 0;
  for (const b of bufs) total += b.length;
  const { bytesWritten } = await fh.writev(bufs, position);
  if (bytesWritten >= total) return;
  if (bytesWritten < 0) throw new Error('short write');
  // Rare (a signal, a full disk): the rest as one buffer.
  const rest = Buffer.concat(bufs, total).subarray(bytesWritten);
  await writeFully(fh, rest, position + bytesWritten);
}
