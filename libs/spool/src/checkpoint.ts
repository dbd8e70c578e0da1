// The published position, kept durably in <dir>/checkpoint: every record before
// (seq, index) has been acknowledged by the inner sink. Written to a temporary file,
// fsynced, renamed over the old one and the directory fsynced, so a crash leaves either
// the old or the new checkpoint, never a mix. A damaged checkpoint is reported and
// treated as absent (everything still in the spool is replayed: at-least-once).
import { constants } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from './crc32';

export interface Checkpoint {
  /** Entry holding the first unpublished record (or the entry after the last published one). */
  seq: number;
  /** Index of that record within the entry (0 = the whole entry is unpublished). */
  index: number;
  /** When the publish that reached this position completed (ms since the epoch). */
  atMs: number;
}

const FILE = 'checkpoint';

export async function readCheckpoint(dir: string): Promise<{ checkpoint?: Checkpoint; problem?: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `cannot read checkpoint: ${(err as Error).message}` };
  }
  const [body, sum] = text.split('\n');
  if (!body || !sum || (crc32(Buffer.from(body)) >>> 0).toString(16) !== sum.trim()) return { problem: 'checkpoint file is damaged (CRC mismatch)' };
  try {
    const o = JSON.parse(body) as Partial<Checkpoint> & { v?: number };
    if (o.v !== 1 || !isCount(o.seq) || !isCount(o.index) || typeof o.atMs !== 'number') return { problem: 'checkpoint file has unexpected content' };
    return { checkpoint: { seq: o.seq!, index: o.index!, atMs: o.atMs } };
  } catch {
    return { problem: 'checkpoint file is not valid JSON' };
  }
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export async function writeCheckpoint(dir: string, cp: Checkpoint): Promise<void> {
  const body = JSON.stringify({ v: 1, seq: cp.seq, index: cp.index, atMs: cp.atMs });
  const text = `${body}\n${(crc32(Buffer.from(body)) >>> 0).toString(16)}\n`;
  const tmp = join(dir, `${FILE}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, FILE));
  await syncDir(dir);
}

export async function removeCheckpointTemp(dir: string): Promise<void> {
  await rm(join(dir, `${FILE}.tmp`), { force: true });
}

/** Makes a file creation, rename or deletion in dir durable. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the data files are synced anyway.
  } finally {
    await fh?.close();
  }
}
