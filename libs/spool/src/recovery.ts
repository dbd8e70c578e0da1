// Start-up: make sense of whatever the last process left in the spool directory.
//
// Every segment is read and every entry's CRC checked. A damaged region (power loss, a
// flipped bit, a torn write at kill -9) is copied to <dir>/corrupt/ for inspection,
// reported, and skipped: the good entries before and after it are kept. A damaged region
// that runs to the end of a file (the usual torn tail) is cut off so appends never follow
// garbage. Nothing here throws for damaged data: a bad spool must never put the sidecar
// into a crash loop. Only I/O errors (permissions, a missing disk) are thrown.
import { mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckpoint, removeCheckpointTemp, syncDir, type Checkpoint } from './checkpoint';
import { payloadSummary } from './entry-codec';
import { EntryReader, FILE_HEADER_BYTES, SEGMENT_RE, validFileHeader, type BadRange } from './segment-format';

export interface SegmentInfo {
  name: string;
  path: string;
  /** Sequence number in the file name (the first entry's, when it was created). */
  firstSeq: number;
  /** Last valid entry's sequence number (0: none yet). */
  lastSeq: number;
  entries: number;
  /** Bytes of the file. */
  size: number;
  /** Where entries start (after the file header). */
  dataStart: number;
}

export interface CorruptionReport {
  segment: string;
  offset: number;
  length: number;
  reason: string;
  /** truncated: cut off the end of the file; skipped: left in place, entries after it kept; dropped: the file had nothing valid and was removed. */
  action: 'truncated' | 'skipped' | 'dropped';
  /** Copy of the damaged bytes (first 16 MiB), for inspection. */
  savedTo?: string;
}

export interface RecoveryResult {
  segments: SegmentInfo[];
  /** Where publishing resumes; seq 0 = from the first entry on disk. */
  position: Checkpoint;
  lastSeq: number;
  checkpointProblem?: string;
  corruption: CorruptionReport[];
  /** Entries, records and bytes still to publish. */
  tail: { entries: number; records: number; bytes: number; firstTimeMs?: number; lastTimeMs?: number; topics: string[] };
  /** Event ids of the newest entries on disk (published or not), oldest first. */
  recentEventIds: string[];
  /** Known damaged ranges per segment name ("offset"), so a reader does not report them twice. */
  knownBad: Map<string, Set<number>>;
}

const SAVE_LIMIT = 16 * 1024 * 1024;

export async function recover(dir: string, opts: { idWindow: number }): Promise<RecoveryResult> {
  await mkdir(dir, { recursive: true });
  await removeCheckpointTemp(dir);
  const { checkpoint, problem } = await readCheckpoint(dir);
  const position: Checkpoint = checkpoint ?? { seq: 0, index: 0, atMs: 0 };
  const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
  const segments: SegmentInfo[] = [];
  const corruption: CorruptionReport[] = [];
  const knownBad = new Map<string, Set<number>>();
  const tail: RecoveryResult['tail'] = { entries: 0, records: 0, bytes: 0, topics: [] };
  const topics = new Set<string>();
  const ids = new IdRing(opts.idWindow);
  let lastSeq = 0;
  let removedAny = false;

  for (const name of names) {
    const path = join(dir, name);
    const fh = await open(path, 'r+');
    try {
      const size = (await fh.stat()).size;
      const header = Buffer.alloc(FILE_HEADER_BYTES);
      await fh.read(header, 0, FILE_HEADER_BYTES, 0);
      const bad: BadRange[] = [];
      let dataStart = FILE_HEADER_BYTES;
      const badHeader = size < FILE_HEADER_BYTES || !validFileHeader(header);
      // A torn creation (header never reached the disk) or an overwritten header: look for entries anyway.
      if (badHeader) dataStart = 0;
      const info: SegmentInfo = { name, path, firstSeq: Number(SEGMENT_RE.exec(name)![1]), lastSeq: 0, entries: 0, size, dataStart: FILE_HEADER_BYTES };
      const reader = new EntryReader(fh, Math.min(dataStart, size), size, (b) => bad.push(b), lastSeq);
      for (let e = await reader.next(); e; e = await reader.next()) {
        info.entries++;
        info.lastSeq = e.seq;
        lastSeq = e.seq;
        let summary;
        try {
          summary = payloadSummary(e.payload);
        } catch (err) {
          // The CRC matched, so this is not disk damage: report it and leave the entry to the drainer, which skips it too.
          corruption.push({ segment: name, offset: e.offset, length: e.size, reason: `undecodable payload: ${(err as Error).message}`, action: 'skipped' });
          continue;
        }
        ids.push(summary.eventIds);
        if (e.seq > position.seq || (e.seq === position.seq && position.index < summary.records)) {
          tail.entries++;
          tail.records += e.seq === position.seq ? summary.records - position.index : summary.records;
          tail.bytes += e.size;
          tail.firstTimeMs ??= e.timeMs;
          tail.lastTimeMs = e.timeMs;
          for (const t of summary.topics) topics.add(t);
        }
      }
      if (badHeader && bad[0]?.offset === 0) bad[0].reason = `bad file header (${bad[0].reason})`;
      for (const b of bad) {
        const toEnd = b.offset + b.length >= size;
        const report: CorruptionReport = { segment: name, offset: b.offset, length: b.length, reason: b.reason, action: info.entries === 0 ? 'dropped' : toEnd ? 'truncated' : 'skipped' };
        report.savedTo = await save(dir, fh, name, b);
        corruption.push(report);
        if (report.action === 'skipped') {
          let s = knownBad.get(name);
          if (!s) knownBad.set(name, (s = new Set()));
          s.add(b.offset);
        }
      }
      const last = bad[bad.length - 1];
      if (info.entries > 0 && last && last.offset + last.length >= size && last.offset >= FILE_HEADER_BYTES) {
        await fh.truncate(last.offset);
        await fh.datasync();
        info.size = last.offset;
      }
      if (info.entries === 0) {
        await fh.close();
        await rm(path, { force: true });
        removedAny = true;
        continue;
      }
      // Entries found without a valid header: readers of this segment start at 0.
      if (badHeader) info.dataStart = 0;
      segments.push(info);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
  if (removedAny) await syncDir(dir);
  tail.topics = [...topics];
  return { segments, position, lastSeq, checkpointProblem: problem, corruption, tail, recentEventIds: ids.values(), knownBad };
}

async function save(dir: string, fh: Awaited<ReturnType<typeof open>>, segment: string, b: BadRange): Promise<string | undefined> {
  try {
    const outDir = join(dir, 'corrupt');
    await mkdir(outDir, { recursive: true });
    const n = Math.min(b.length, SAVE_LIMIT);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, b.offset);
    const file = join(outDir, `${segment}.${b.offset}.bin`);
    await writeFile(file, buf);
    return file;
  } catch {
    return undefined;
  }
}

/** The newest `capacity` ids pushed, in order. */
class IdRing {
  private readonly buf: string[] = [];
  private start = 0;
  constructor(private readonly capacity: number) {}
  push(ids: string[]): void {
    if (this.capacity <= 0) return;
    for (const id of ids) {
      if (this.buf.length < this.capacity) this.buf.push(id);
      else {
        this.buf[this.start] = id;
        this.start = (this.start + 1) % this.capacity;
      }
    }
  }
  values(): string[] {
    return [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)];
  }
}
