// One process per spool directory. Two sidecars appending to the same segments would
// corrupt each other, so the directory holds a LOCK file with the owner's pid; a lock
// left by a process that no longer runs (kill -9, power loss) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class SpoolLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`spool.dir ${dir} is in use by another sparkwire process (pid ${pid}); give each sidecar its own spool.dir`);
    this.name = 'SpoolLockedError';
  }
}

export function acquireLock(dir: string): () => void {
  const file = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      /* vanished meanwhile: retry */
    }
    if (owner && owner !== process.pid && isAlive(owner)) throw new SpoolLockedError(dir, owner);
    rmSync(file, { force: true });
  }
  throw new Error(`spool.dir ${dir}: could not take the LOCK file`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // After a reboot the pid may belong to something else: only a Node process can hold the spool.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc: being alive is taken as enough
  }
}
