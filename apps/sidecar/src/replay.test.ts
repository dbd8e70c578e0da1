// `sparkwire replay` through the CLI entry point, into the file sink (no Kafka): exit codes,
// the JSON summary, bad lines reported with file and line, progress lines on stderr. The real
// broker (read-back, replay twice) and the comparison with live records: testing/spark-e2e/test/replay.test.ts.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli';

const FIXTURES = join(import.meta.dirname, '../../../libs/event-log/test/fixtures');
const one = (name: string) => {
  const dir = join(FIXTURES, name);
  return join(dir, readdirSync(dir).filter((n) => !n.startsWith('.'))[0]);
};

function run(args: string[]) {
  let out = '';
  let err = '';
  return main(['node', 'sparkwire', ...args], { out: (s) => (out += s), err: (s) => (err += s), env: {} }).then((code) => ({ code, out, err }));
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sw-replay-'));

function fileRecords(dir: string): Record<string, any>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l));
}

describe('sparkwire replay', () => {
  it('publishes every log it is given (plain rolling folder, zstd, lz4, snappy) and sums up in JSON', async () => {
    const out = tmp();
    const r = await run(['replay', one('plain'), one('zstd'), one('lz4'), one('snappy'), '--file-dir', out, '--extended', '--output', 'json']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.logs.map((l: any) => l.codec)).toEqual(['none', 'zstd', 'lz4', 'snappy']);
    expect(s.published).toBe(s.mapped);
    expect(s.eventsRead).toBe(s.mapped + s.skipped);
    expect(s.badLines).toBe(0);
    expect(s.duplicates).toBe(0);
    const records = fileRecords(out);
    expect(new Set(records.map((x) => x.appId)).size).toBe(4);
    expect(records.every((x) => x.eventId.startsWith('evlog:'))).toBe(true);
  });

  it('without --extended drops task events as serve does (counted as filtered)', async () => {
    const r = await run(['replay', one('zstd'), '--file-dir', tmp(), '--output', 'json']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.filtered).toBeGreaterThan(0);
    expect(s.published + s.filtered).toBe(s.mapped);
  });

  it('skips and reports bad lines with file and line number, counts them, exits 0', async () => {
    const dir = tmp();
    const events = readdirSync(one('plain')).find((n) => n.startsWith('events_'))!;
    const lines = readFileSync(join(one('plain'), events), 'utf8').split('\n').filter(Boolean);
    const path = join(dir, 'local-7');
    writeFileSync(path, [...lines.slice(0, 3), 'not json', ...lines.slice(3), lines[9].slice(0, 40)].join('\n'));
    const r = await run(['replay', path, '--file-dir', tmp(), '--output', 'json', '--progress-interval-ms', '10']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`${path}:4: bad line skipped`);
    expect(r.err).toContain(`${path}:${lines.length + 2}: bad line skipped`);
    expect(r.err).toContain('2 bad line(s) skipped');
    const s = JSON.parse(r.out);
    expect(s.badLines).toBe(2);
    expect(s.bad.map((b: any) => b.line)).toEqual([4, lines.length + 2]);
  });

  it('text summary by default', async () => {
    const r = await run(['replay', one('snappy'), '--file-dir', tmp()]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/events read \d+, mapped \d+, skipped \d+, published \d+, duplicates 0/);
  });

  it('exit 2: a missing file, an unsupported codec, a bad option', async () => {
    const dir = tmp();
    const missing = await run(['replay', join(dir, 'nope'), '--file-dir', dir]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file or directory');
    writeFileSync(join(dir, 'local-1.lzf'), 'x');
    const lzf = await run(['replay', join(dir, 'local-1.lzf'), '--file-dir', dir]);
    expect(lzf.code).toBe(2);
    expect(lzf.err).toContain('unsupported event log codec "lzf"');
    expect((await run(['replay', one('zstd'), '--output', 'xml'])).code).toBe(2);
    expect((await run(['replay'])).code).toBe(2);
  });

  it('exit 1 for a corrupt compressed stream, naming the file', async () => {
    const dir = tmp();
    const path = join(dir, 'local-3.lz4');
    writeFileSync(path, Buffer.concat([Buffer.from('LZ4Block'), Buffer.from([0x20, 64, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(64, 7)]));
    const bad = join(dir, 'local-4.zstd');
    writeFileSync(bad, Buffer.from('definitely not zstd, long enough to be read as a frame header'));
    for (const p of [path, bad]) {
      const r = await run(['replay', p, '--file-dir', tmp(), '--output', 'json']);
      expect(r.code, r.err).toBe(1);
      expect(JSON.parse(r.out).error).toContain(p);
    }
  });

  it('exit 1 when Kafka is unreachable', async () => {
    const r = await run(['replay', one('zstd'), '--kafka-brokers', '127.0.0.1:1', '--kafka-connect-timeout-ms', '500', '--output', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatch(/kafka|reachable|connect/i);
  });
});
