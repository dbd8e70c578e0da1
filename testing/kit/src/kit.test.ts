// The kit's helpers on the real things: the sidecar process (its bundle, file sink), ports,
// the PRNGs every seeded test replays with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIDECAR_READY_MESSAGE as SDK_READY_MESSAGE } from '@sparkwire/sdk';
import {
  envWithout,
  freePort,
  healthStatus,
  holdPort,
  mulberry32,
  parsePromSamples,
  portIsFree,
  promValue,
  Rng,
  SIDECAR_READY_MESSAGE,
  spawnSidecar,
  waitFor,
} from './index';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sw-kit-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('spawnSidecar', () => {
  it('finds the sidecar by its ready line: addresses, health SERVING, metrics, RSS, stop', async () => {
    const s = await spawnSidecar({ args: ['--file-dir', tempDir()] });
    try {
      expect(s.ready.msg).toBe(SIDECAR_READY_MESSAGE);
      expect(s.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s.port).toBeGreaterThan(0);
      expect(s.metricsAddress).toMatch(/:\d+$/);
      expect(s.alive).toBe(true);
      expect(await s.health('')).toBe('SERVING');
      await s.waitServing('sparkwire.file');
      expect(await healthStatus(s.address, 'sparkwire.v1.ListenerService')).toBe('SERVING');
      expect(await healthStatus(s.address, 'no.such.service')).toBe('UNKNOWN');
      const samples = await s.scrape();
      expect(samples.size).toBeGreaterThan(0);
      expect(s.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    } finally {
      expect(await s.stop()).toBe(0);
    }
    expect(s.alive).toBe(false);
    expect(s.stoppedStats()).toBeDefined();
    expect(s.logged('"sparkwire sidecar stopped"')).toHaveLength(1);
  });

  it('restarts at the same fixed port, spool dir and RSS sampling as options', async () => {
    const port = await freePort();
    const spoolDir = tempDir();
    const first = await spawnSidecar({ port, spoolDir, args: ['--file-dir', tempDir()], sampleEveryMs: 50 });
    expect(first.port).toBe(port);
    await new Promise((r) => setTimeout(r, 200));
    expect(first.maxRssBytes).toBeGreaterThan(0);
    expect(await first.stop('SIGKILL')).toBeNull();
    const second = await spawnSidecar({ port, spoolDir, args: ['--file-dir', tempDir()], signalExitCode: -1 });
    expect(second.address).toBe(first.address);
    expect(await second.stop('SIGKILL')).toBe(-1);
  });

  it('rejects with the log when the sidecar exits before it is ready', async () => {
    const held = await holdPort(0);
    const port = (held.address() as { port: number }).port;
    try {
      await expect(spawnSidecar({ port, args: ['--file-dir', tempDir()] })).rejects.toThrow(/sidecar exited with 1[\s\S]*cannot listen/);
    } finally {
      held.close();
    }
  });

  it('reads the constant the SDK logs', () => {
    expect(SIDECAR_READY_MESSAGE).toBe(SDK_READY_MESSAGE);
  });
});

describe('helpers', () => {
  it('PRNGs replay a seed exactly and differ between seeds', () => {
    const seq = (seed: number) => {
      const r = new Rng(seed);
      return [r.u32(), r.int(1000), r.chance(0.5), r.u64(), r.bytes(4).toString('hex')];
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    const m = (seed: number) => Array.from({ length: 5 }, mulberry32(seed));
    expect(m(7)).toEqual(m(7));
    expect(m(7)).not.toEqual(m(8));
    for (const x of m(9)) expect(x >= 0 && x < 1).toBe(true);
  });

  it('waitFor resolves with the time taken, times out naming what, retries errors when asked', async () => {
    let n = 0;
    expect(await waitFor('three polls', () => ++n >= 3, 5_000, 10)).toBeGreaterThanOrEqual(0);
    await expect(waitFor('never', () => false, 100, 10)).rejects.toThrow(/timed out after 100 ms waiting for never/);
    await expect(waitFor('thrower', () => { throw new Error('boom'); }, 1_000)).rejects.toThrow('boom');
    let m = 0;
    expect(await waitFor('flaky', () => { if (++m < 3) throw new Error('not yet'); return true; }, { timeoutMs: 5_000, everyMs: 10, retryErrors: true })).toBeGreaterThanOrEqual(0);
    await expect(waitFor('always failing', () => { throw new Error('down'); }, { timeoutMs: 100, everyMs: 10, retryErrors: true })).rejects.toThrow(/always failing: down/);
  });

  it('freePort is free, a held port is not', async () => {
    const port = await freePort();
    expect(await portIsFree(port)).toBe(true);
    const held = await holdPort(port);
    try {
      expect(await portIsFree(port)).toBe(false);
    } finally {
      held.close();
    }
  });

  it('envWithout drops the prefixes and names', () => {
    process.env.SPARKWIRE_KIT_TEST = '1';
    process.env.KIT_OTHER = '2';
    try {
      expect(envWithout().SPARKWIRE_KIT_TEST).toBeUndefined();
      expect(envWithout().KIT_OTHER).toBe('2');
      expect(envWithout(['KIT_']).SPARKWIRE_KIT_TEST).toBe('1');
      expect(envWithout([], ['KIT_OTHER']).KIT_OTHER).toBeUndefined();
    } finally {
      delete process.env.SPARKWIRE_KIT_TEST;
      delete process.env.KIT_OTHER;
    }
  });

  it('parses Prometheus text', () => {
    const text = '# HELP a x\n# TYPE a counter\na_total{k="v w"} 3\nb 1.5e3\n';
    expect([...parsePromSamples(text)]).toEqual([['a_total{k="v w"}', 3], ['b', 1500]]);
    expect(promValue(text, 'a_total')).toBe(3);
    expect(promValue(text, 'c')).toBeUndefined();
  });
});
