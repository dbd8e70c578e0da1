// `sparkwire dead-letter list|show|discard|redrive` over a store on disk (re-drive against a
// real broker: testing/fault-injection/test/oversize.test.ts, scenario 10c).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeadLetterStore, deadLetterEntry } from '@sparkwire/spool';
import { main } from './cli';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  return main(['node', 'sparkwire', ...args], { out: (s) => (out += s), err: (s) => (err += s), env }).then((code) => ({ code, out, err }));
}

async function fixture(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-dl-cli-'));
  dirs.push(dir);
  const store = new DeadLetterStore(dir);
  const value = JSON.stringify({ name: 'queries_started', eventId: 'ev-7', description: 'x'.repeat(5000) });
  await store.add([deadLetterEntry({ topic: 'spark-events', key: 'app-1', value }, { seq: 12, index: 1, appendedAtMs: 0 }, { reason: 'MESSAGE_TOO_LARGE', message: 'too large', limitBytes: 1000 }, Date.UTC(2026, 5, 1, 12))]);
  await store.add([deadLetterEntry({ topic: 'spark-events', key: null, value: Buffer.from('pb') }, { seq: 13, index: 0, appendedAtMs: 0 }, { reason: 'INVALID_RECORD', message: 'invalid' })]);
  return dir;
}

describe('sparkwire dead-letter', () => {
  it('list prints a table, or JSON lines without the values', async () => {
    const dir = await fixture();
    const r = await run(['dead-letter', 'list', '--spool-dir', dir]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+dead at \(UTC\)\s+topic\s+key\s+bytes\s+reason\s+event id\s+re-drives$/);
    expect(lines[1]).toMatch(/^12-1\s+2026-06-01 12:00:00\s+spark-events\s+app-1\s+\d+\s+MESSAGE_TOO_LARGE\s+ev-7\s+0$/);
    expect(lines[2]).toMatch(/^13-0 .* \(none\)\s+2\s+INVALID_RECORD/);
    expect(lines[3]).toBe(`2 record(s) in ${join(dir, 'dead-letter')}`);
    const j = await run(['dead-letter', 'list', '--json', '--spool-dir', dir]);
    const entries = j.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.id, e.eventId, e.value])).toEqual([
      ['12-1', 'ev-7', undefined],
      ['13-0', undefined, undefined],
    ]);
  });

  it('finds the spool directory from the server address under the state directory, like serve does', async () => {
    const state = mkdtempSync(join(tmpdir(), 'sw-dl-state-'));
    dirs.push(state);
    const r = await run(['dead-letter', 'list', '--server-port', '59999'], { SPARKWIRE_STATE_DIR: state });
    expect(r.code).toBe(0);
    expect(r.out).toContain(join(state, 'spool', '127.0.0.1_59999', 'dead-letter'));
  });

  it('show prints one entry, its value shortened unless --full', async () => {
    const dir = await fixture();
    const r = await run(['dead-letter', 'show', '12-1', '--spool-dir', dir]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    expect(e).toMatchObject({ id: '12-1', topic: 'spark-events', error: { reason: 'MESSAGE_TOO_LARGE', limitBytes: 1000 } });
    expect(e.value).toMatch(/\.\.\. \(\d+ characters; --full for all\)$/);
    const full = JSON.parse((await run(['dead-letter', 'show', '12-1', '--full', '--spool-dir', dir])).out);
    expect(JSON.parse(full.value).eventId).toBe('ev-7');
    expect((await run(['dead-letter', 'show', '99-9', '--spool-dir', dir])).code).toBe(1);
  });

  it('discard removes entries without publishing; redrive needs the Kafka settings', async () => {
    const dir = await fixture();
    expect((await run(['dead-letter', 'redrive', '--spool-dir', dir])).code).toBe(2);
    const r = await run(['dead-letter', 'discard', '13-0', '--spool-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('discarded 1 record(s)\n');
    expect((await new DeadLetterStore(dir).list()).map((e) => e.id)).toEqual(['12-1']);
  });
});
