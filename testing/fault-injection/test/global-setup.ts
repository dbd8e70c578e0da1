// The suite runs the sidecar as its own process from the bundle: rebuild it first so a
// run never measures yesterday's code. At the end, the figures of every scenario that has
// results go into docs/reliability.md.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { writeReliabilityDoc } from '../src/report';
import { REPO_ROOT } from '@sparkwire/testkit';

export function setup(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'apps/sidecar/build.mjs')], { stdio: 'inherit' });
}

export function teardown(): void {
  writeReliabilityDoc();
}
