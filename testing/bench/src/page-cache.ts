// The kernel's dirty page cache between phases. The broker writes its log without fsync, so
// the unthrottled phase leaves a gigabyte or more of dirty pages that the kernel writes back
// once they are dirty_expire_centisecs (30 s) old: in the middle of the latency phase, where
// the spool's fdatasync queued behind that writeback and its acks took 200-400 ms (7 of 12
// runs, docs/benchmarks.md). The latency phase is meant to measure 20,000 events/s, not the
// flush of the previous phase, so the bench syncs in between and reports what it flushed.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

/** Dirty + Writeback bytes of the page cache (/proc/meminfo), or undefined off Linux. */
export function dirtyBytes(): number | undefined {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0);
    return (kb('Dirty') + kb('Writeback')) * 1024;
  } catch {
    return undefined;
  }
}

export interface PageCacheFlush {
  dirtyBeforeBytes?: number;
  syncMs: number;
}

/** Writes every dirty page back (sync(1)) and says how much there was and how long it took. */
export async function flushPageCache(): Promise<PageCacheFlush> {
  const dirtyBeforeBytes = dirtyBytes();
  const t = performance.now();
  await promisify(execFile)('sync');
  return { dirtyBeforeBytes, syncMs: performance.now() - t };
}
