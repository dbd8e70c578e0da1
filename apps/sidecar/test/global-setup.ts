// Integration tests run the sidecar as its own process from the bundle: rebuild it first
// so a test never runs yesterday's code.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, [resolve(import.meta.dirname, '../build.mjs')], { stdio: 'inherit' });
}
