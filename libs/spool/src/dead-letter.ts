// The dead-letter store: records the spool had acked but Kafka refused for what they are
// (too large for a limit lowered later, invalid for the topic), set aside so that the
// records behind them are published. Nothing here is ever dropped: an operator lists,
// inspects and re-drives the records (`sparkwire dead-letter list|show|redrive`), e.g. after
// raising the topic's max.message.bytes.
//
// Layout: <spool dir>/dead-letter/dl-<spool seq, 16 digits>-<record index, 8 digits>.ndjson,
// one file per set-aside record, named after its place in the spool (".<n>" before ".ndjson"
// if that name is taken: a file is never overwritten). Each line
// is one JSON entry (DeadLetterEntry): the record (topic, key, value as UTF-8 text or
// base64), why it was refused, when, and where it was in the spool. A file is written to a
// temporary name, fsynced and renamed, so a file is complete or absent; the sidecar only
// ever creates files, a re-drive only rewrites or deletes them (with redrive.lock held), so
// both can run at once. Entry ids are the record's place in the spool (`<seq>-<index>`),
// unique for good: an entry written twice (a crash before the spool's checkpoint moved past
// it) is listed and re-driven once.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecordsRefused, recordBytes, type OutRecord } from '@sparkwire/pipeline';
import { syncDir } from './checkpoint';

export const DEAD_LETTER_DIR = 'dead-letter';
const FILE_RE = /^dl-\d{16}-\d{8}(\.\d+)?\.ndjson$/;

export interface DeadLetterError {
  /** The broker's error (MESSAGE_TOO_LARGE, INVALID_RECORD, ...) or RECORD_TOO_LARGE when the sidecar knew the limit beforehand. */
  reason: string;
  message: string;
  /** The largest record (key + value bytes) the topic took at the time, for size refusals. */
  limitBytes?: number;
}

export interface DeadLetterEntry {
  v: 1;
  /** `<spool seq>-<record index>`: the record's place in the spool. */
  id: string;
  /** When it was set aside (ISO 8601). */
  deadAt: string;
  topic: string;
  key: string | null;
  valueEncoding: 'utf8' | 'base64';
  value: string;
  /** Key + value, UTF-8 bytes. */
  bytes: number;
  /** The event id, when the value is a JSON record that has one. */
  eventId?: string;
  error: DeadLetterError;
  spool: { seq: number; index: number; appendedAtMs: number };
  /** Re-drives that did not deliver it. */
  redriveAttempts?: number;
  lastRedrive?: { at: string; error: DeadLetterError };
}

export interface StoredEntry extends DeadLetterEntry {
  file: string;
}

export class DeadLetterFullError extends Error {
  constructor(bytes: number, max: number) {
    super(`dead-letter store is full (${bytes} of spool.deadLetterMaxBytes ${max} bytes): re-drive or remove entries (sparkwire dead-letter)`);
    this.name = 'DeadLetterFullError';
  }
}

export function deadLetterEntry(r: OutRecord, pos: { seq: number; index: number; appendedAtMs: number }, error: DeadLetterError, now = Date.now()): DeadLetterEntry {
  const text = typeof r.value === 'string';
  let eventId: string | undefined;
  if (text) eventId = eventIdOf(r.value as string);
  return {
    v: 1,
    id: entryId(pos.seq, pos.index),
    deadAt: new Date(now).toISOString(),
    topic: r.topic,
    key: r.key,
    valueEncoding: text ? 'utf8' : 'base64',
    value: text ? (r.value as string) : (r.value as Buffer).toString('base64'),
    bytes: recordBytes(r),
    ...(eventId ? { eventId } : {}),
    error,
    spool: pos,
  };
}

export function entryId(seq: number, index: number): string {
  return `${seq}-${index}`;
}

/** The record to publish again. */
export function entryRecord(e: DeadLetterEntry): OutRecord {
  return { topic: e.topic, key: e.key, value: e.valueEncoding === 'base64' ? Buffer.from(e.value, 'base64') : e.value };
}

/** The eventId of a sparkMeasure JSON record, without parsing all of a large one. */
function eventIdOf(json: string): string | undefined {
  const m = /"eventId":("(?:[^"\\]|\\.)*")/.exec(json.length > 4096 ? json.slice(-4096) : json) ?? /"eventId":("(?:[^"\\]|\\.)*")/.exec(json);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]) as string;
  } catch {
    return undefined;
  }
}

export interface DeadLetterStats {
  files: number;
  bytes: number;
  /** Records set aside by this process. */
  added: number;
}

export class DeadLetterStore {
  readonly dir: string;
  private files = 0;
  private bytes = 0;
  added = 0;
  private scanned = false;

  constructor(
    spoolDir: string,
    private readonly maxBytes = Infinity,
  ) {
    this.dir = join(spoolDir, DEAD_LETTER_DIR);
  }

  /** Files and bytes on disk (read again: a re-drive may have removed some). */
  async rescan(): Promise<DeadLetterStats> {
    let files = 0;
    let bytes = 0;
    for (const f of await this.fileNames()) {
      try {
        bytes += (await stat(join(this.dir, f))).size;
        files++;
      } catch {
        /* removed meanwhile */
      }
    }
    this.files = files;
    this.bytes = bytes;
    this.scanned = true;
    return this.stats();
  }

  stats(): DeadLetterStats {
    return { files: this.files, bytes: this.bytes, added: this.added };
  }

  /** Writes the entries durably as one file (named after the first); throws DeadLetterFullError at the cap. */
  async add(entries: DeadLetterEntry[]): Promise<string> {
    if (entries.length === 0) return '';
    if (!this.scanned) await this.rescan();
    const text = entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const size = Buffer.byteLength(text);
    if (this.bytes + size > this.maxBytes) {
      await this.rescan();
      if (this.bytes + size > this.maxBytes) throw new DeadLetterFullError(this.bytes, this.maxBytes);
    }
    await mkdir(this.dir, { recursive: true });
    const first = entries[0].spool;
    const base = `dl-${String(first.seq).padStart(16, '0')}-${String(first.index).padStart(8, '0')}`;
    // Never over an existing file (records set aside again after a crash get a file of their own).
    let name = `${base}.ndjson`;
    for (let k = 1; existsSync(join(this.dir, name)); k++) name = `${base}.${k}.ndjson`;
    await writeAtomically(this.dir, name, text);
    this.files++;
    this.bytes += size;
    this.added += entries.length;
    return join(this.dir, name);
  }

  /** Every entry, oldest first, each id once. */
  async list(): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    const seen = new Set<string>();
    for (const f of await this.fileNames()) {
      for (const e of await readEntries(join(this.dir, f))) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        out.push({ ...e, file: f });
      }
    }
    return out;
  }

  /**
   * Applies a re-drive's outcome to one file: removes the delivered ids, records the error of
   * those still refused; the file is rewritten atomically (or deleted when nothing is left).
   */
  async updateFile(file: string, delivered: Set<string>, stillRefused: Map<string, DeadLetterError> = new Map()): Promise<void> {
    const path = join(this.dir, file);
    const entries = await readEntries(path);
    if (!entries.some((e) => delivered.has(e.id) || stillRefused.has(e.id))) return;
    const now = new Date().toISOString();
    const keep: DeadLetterEntry[] = [];
    for (const e of entries) {
      if (delivered.has(e.id)) continue;
      const err = stillRefused.get(e.id);
      keep.push(err ? { ...e, redriveAttempts: (e.redriveAttempts ?? 0) + 1, lastRedrive: { at: now, error: err } } : e);
    }
    if (keep.length === 0) {
      await rm(path, { force: true });
      await syncDir(this.dir);
    } else await writeAtomically(this.dir, file, keep.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }

  /** Removes entries (by id) without publishing them. */
  async discard(ids: Set<string>): Promise<number> {
    let n = 0;
    for (const f of await this.fileNames()) {
      const hit = (await readEntries(join(this.dir, f))).filter((e) => ids.has(e.id)).length;
      if (hit === 0) continue;
      n += hit;
      await this.updateFile(f, ids);
    }
    await this.rescan();
    return n;
  }

  private async fileNames(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((f) => FILE_RE.test(f)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** One re-drive at a time per store: a lock file with the pid (a dead owner's is taken over). */
  lock(): () => void {
    const file = join(this.dir, 'redrive.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return () => rmSync(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          // No store yet: nothing to lock against.
          return () => undefined;
        }
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number(readFileSync(file, 'utf8').trim() || 0);
      if (owner && owner !== process.pid && alive(owner)) throw new Error(`a re-drive of ${this.dir} is already running (pid ${owner})`);
      rmSync(file, { force: true });
    }
    throw new Error(`cannot take ${file}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readEntries(path: string): Promise<DeadLetterEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: DeadLetterEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as DeadLetterEntry;
    if (e.v !== 1 || typeof e.id !== 'string' || typeof e.topic !== 'string' || typeof e.value !== 'string') throw new Error(`${path}: not a dead-letter entry`);
    out.push(e);
  }
  return out;
}

async function writeAtomically(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

export interface RedriveSink {
  write(records: OutRecord[]): Promise<void>;
  maxRecordBytes?(topic: string): number | undefined;
  refreshLimits?(): Promise<void>;
}

export interface RedriveResult {
  /** Entries considered (all, or those asked for). */
  entries: number;
  delivered: string[];
  /** Still refused by Kafka (or still over its limit): kept, with the error. */
  refused: Array<{ id: string; error: DeadLetterError }>;
  /** Asked for but not in the store. */
  missing: string[];
  /** A retryable failure (Kafka not reachable) that stopped the re-drive; the rest is kept. */
  stoppedBy?: string;
}

/**
 * Publishes dead-lettered records again, oldest first, one request per record, and removes
 * what Kafka acked (file by file, so a re-drive cut short loses nothing and repeats little).
 * A record still over the topic's limit is not sent; one Kafka still refuses is kept with the
 * new error; a retryable failure (Kafka not reachable) stops the re-drive.
 */
export async function redrive(
  store: DeadLetterStore,
  sink: RedriveSink,
  opts: { ids?: string[]; onEntry?: (id: string, outcome: 'delivered' | 'refused', error?: DeadLetterError) => void } = {},
): Promise<RedriveResult> {
  const release = store.lock();
  try {
    const all = await store.list();
    const wanted = opts.ids ? new Set(opts.ids) : undefined;
    const entries = wanted ? all.filter((e) => wanted.has(e.id)) : all;
    const missing = wanted ? [...wanted].filter((id) => !all.some((e) => e.id === id)) : [];
    await sink.refreshLimits?.();
    const delivered: string[] = [];
    const refused: Array<{ id: string; error: DeadLetterError }> = [];
    let stoppedBy: string | undefined;
    const byFile = new Map<string, StoredEntry[]>();
    for (const e of entries) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
    for (const [file, list] of byFile) {
      const ok = new Set<string>();
      const bad = new Map<string, DeadLetterError>();
      for (const e of list) {
        const limit = sink.maxRecordBytes?.(e.topic);
        let error: DeadLetterError | undefined;
        if (limit !== undefined && e.bytes > limit) {
          error = { reason: 'RECORD_TOO_LARGE', message: `record of ${e.bytes} bytes is still over the largest record topic ${e.topic} takes (${limit} bytes)`, limitBytes: limit };
        } else {
          try {
            await sink.write([entryRecord(e)]);
          } catch (err) {
            if (!isRecordsRefused(err)) {
              stoppedBy = (err as Error).message;
              break;
            }
            error = { reason: err.reason, message: err.message, limitBytes: err.limitBytes };
          }
        }
        if (error) {
          bad.set(e.id, error);
          refused.push({ id: e.id, error });
          opts.onEntry?.(e.id, 'refused', error);
        } else {
          ok.add(e.id);
          delivered.push(e.id);
          opts.onEntry?.(e.id, 'delivered');
        }
      }
      await store.updateFile(file, ok, bad);
      if (stoppedBy) break;
    }
    // The same record can sit in two files (set aside again after a crash): gone from all.
    if (delivered.length > 0) await store.discard(new Set(delivered));
    await store.rescan();
    return { entries: entries.length, delivered, refused, missing, stoppedBy };
  } finally {
    release();
  }
}
