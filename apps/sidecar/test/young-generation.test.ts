// `sparkwire serve` pins V8's semi-space (src/young-generation.ts) on every Node that can
// re-exec itself, and leaves a size the operator chose alone. Checked on the real process: its
// start log, its command line in /proc, and the PID the caller holds still serving. Runs on
// Node 24 in the whole suite and, in tools/test-node-lts.sh, on the machine's Node (20: no
// process.execve, V8's default kept).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSidecar, type SidecarProcess } from '@sparkwire/testkit';
import { SEMI_SPACE_MIB } from '../src/young-generation';

const canExec = typeof (process as { execve?: unknown }).execve === 'function';
let s: SidecarProcess | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const startLog = (p: SidecarProcess) => JSON.parse(p.logs.find((l) => l.includes('"starting sparkwire sidecar"'))!);
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const dir = () => mkdtempSync(join(tmpdir(), 'sparkwire-young-'));

describe('serve and the young generation', () => {
  it(`${canExec ? 'pins' : 'on this Node cannot pin, and keeps'} the semi-space, in the process the caller started`, async () => {
    s = await spawnSidecar({ args: ['--file-dir', dir()], env: { NODE_OPTIONS: '' } });
    const runtime = startLog(s).runtime;
    expect(runtime.node).toBe(process.version);
    const flag = `--max-semi-space-size=${SEMI_SPACE_MIB}`;
    if (canExec) {
      expect(runtime.semiSpaceMiB).toBe(String(SEMI_SPACE_MIB));
      expect(cmdline(s.pid)).toContain(flag);
    } else {
      expect(runtime.semiSpaceMiB).toBe('V8 default');
      expect(cmdline(s.pid)).not.toContain(flag);
    }
    // One start: a restart that ran twice would log twice.
    expect(s.logs.filter((l) => l.includes('"starting sparkwire sidecar"'))).toHaveLength(1);
    expect(await s.health('')).toBe('SERVING');
  });

  it('keeps a size chosen in NODE_OPTIONS', async () => {
    s = await spawnSidecar({ args: ['--file-dir', dir()], env: { NODE_OPTIONS: '--max-semi-space-size=8' } });
    expect(startLog(s).runtime.semiSpaceMiB).toBe('8');
    expect(cmdline(s.pid)).not.toContain(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
  });
});
