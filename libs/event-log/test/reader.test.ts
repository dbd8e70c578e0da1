// The readers: Spark 4's own compressed logs (zstd, lz4, snappy; real files), rolling folders,
// in-progress and truncated files, bad lines, codec errors.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLogError, mapEventLog, newStats, parseLine, readLines, resolveLogs, type EventLogSource } from '../src/index';
import { fixture, plainEventsFile } from './fixtures';

async function allLines(src: EventLogSource) {
  const problems: { file: string; message: string }[] = [];
  const out = [];
  for await (const l of readLines(src, { bytesRead: 0 }, problems)) out.push(l);
  return { lines: out, problems };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sw-evlog-'));

describe('event log readers', () => {
  for (const codec of ['zstd', 'lz4', 'snappy'] as const) {
    it(`decodes Spark's ${codec} event log`, async () => {
      const [src] = resolveLogs([fixture(codec)]);
      expect(src.files[0].codec).toBe(codec);
      expect(src.rolling).toBe(false);
      const { lines, problems } = await allLines(src);
      expect(problems).toEqual([]);
      const events = lines.map((l) => parseLine(l.text).Event);
      expect(events[0]).toBe('SparkListenerLogStart');
      expect(events.at(-1)).toBe('SparkListenerApplicationEnd');
      expect(events.filter((e) => e === 'SparkListenerTaskEnd').length).toBeGreaterThan(5);
      expect(lines.map((l) => l.line)).toEqual(lines.map((_, i) => i + 1));
      expect(src.appIdFromName).toBe(parseLine(lines.find((l) => l.text.includes('"SparkListenerApplicationStart"'))!.text)['App ID']);
    });
  }

  it('reads a rolling folder (eventlog_v2_*), compressed, skipping appstatus', async () => {
    const [src] = resolveLogs([fixture('rolling')]);
    expect(src.rolling).toBe(true);
    expect(src.files.map((f) => basename(f.path))).toEqual([expect.stringMatching(/^events_1_.*\.zstd$/)]);
    const { lines } = await allLines(src);
    expect(parseLine(lines.at(-1)!.text).Event).toBe('SparkListenerApplicationEnd');
  });

  it('reads rolling files in index order, positions running over files, ids as for one file', async () => {
    const text = readFileSync(plainEventsFile(), 'utf8').split('\n').filter(Boolean);
    const app = basename(plainEventsFile()).replace(/^events_1_/, '');
    const dir = join(tmp(), `eventlog_v2_${app}`);
    mkdirSync(dir);
    const cuts = [0, 10, 40, 90, text.length];
    // indexes 1, 2, 10, 11: numeric order, not text order
    [1, 2, 10, 11].forEach((n, i) => writeFileSync(join(dir, `events_${n}_${app}`), text.slice(cuts[i], cuts[i + 1]).map((l) => `${l}\n`).join('')));
    writeFileSync(join(dir, `appstatus_${app}`), '');
    const rolled = [];
    const stats = newStats();
    for await (const b of mapEventLog(resolveLogs([dir])[0], stats)) rolled.push(...b);
    const single = [];
    for await (const b of mapEventLog(resolveLogs([fixture('plain')])[0], newStats())) single.push(...b);
    expect(rolled.map((e) => e.eventId)).toEqual(single.map((e) => e.eventId));
    expect(rolled).toEqual(single);
    const { lines } = await allLines(resolveLogs([dir])[0]);
    expect(lines[10]).toMatchObject({ file: join(dir, `events_2_${app}`), line: 1, position: 10 });
  });

  it('finds every log in a folder of logs (spark.eventLog.dir), hidden .crc files ignored', () => {
    const dir = tmp();
    copyFileSync(fixture('zstd'), join(dir, basename(fixture('zstd'))));
    copyFileSync(fixture('lz4'), join(dir, `${basename(fixture('lz4'))}.inprogress`));
    writeFileSync(join(dir, `.${basename(fixture('zstd'))}.crc`), 'x');
    const logs = resolveLogs([dir]);
    // in name order (the zstd fixture's app id sorts first)
    expect(logs.map((l) => [l.files[0].codec, l.inProgress])).toEqual([
      ['zstd', false],
      ['lz4', true],
    ]);
  });

  it('detects the codec from the magic bytes when the name has no suffix', () => {
    const dir = tmp();
    for (const c of ['zstd', 'lz4', 'snappy'] as const) copyFileSync(fixture(c), join(dir, `app-${c}`));
    copyFileSync(plainEventsFile(), join(dir, 'app-plain'));
    const codecs = Object.fromEntries(resolveLogs(readdirSync(dir).map((n) => join(dir, n))).map((l) => [basename(l.path), l.files[0].codec]));
    expect(codecs).toEqual({ 'app-zstd': 'zstd', 'app-lz4': 'lz4', 'app-snappy': 'snappy', 'app-plain': 'none' });
  });

  it('an in-progress compressed log cut mid-block: the complete lines, then a problem, no crash', async () => {
    for (const c of ['zstd', 'lz4', 'snappy'] as const) {
      const dir = tmp();
      const whole = readFileSync(fixture(c));
      const path = join(dir, `local-1.${c}.inprogress`);
      writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const [src] = resolveLogs([path]);
      expect(src.inProgress).toBe(true);
      const stats = newStats();
      const events = [];
      for await (const b of mapEventLog(src, stats)) events.push(...b);
      expect(events.length, c).toBeGreaterThan(5);
      // at most the last (cut) line is bad
      expect(stats.badLines, c).toBeLessThanOrEqual(1);
      if (c !== 'zstd') expect(stats.problems.length, c).toBe(1);
    }
  });

  it('reports truncated and corrupt lines with file and line number, skips them, counts them', async () => {
    const dir = tmp();
    const text = readFileSync(plainEventsFile(), 'utf8').split('\n').filter(Boolean);
    const path = join(dir, 'local-42');
    const broken = [...text.slice(0, 20), '{"Event":"SparkListenerTaskEnd","Stage ID":0,"Stage Att', 'garbage', '[1,2]', '{"no":"event"}', ...text.slice(20), text[30].slice(0, 50)];
    writeFileSync(path, broken.join('\n'));
    const stats = newStats();
    const seen: string[] = [];
    const events = [];
    for await (const b of mapEventLog(resolveLogs([path])[0], stats, { onBadLine: (b) => seen.push(`${b.file}:${b.line}`) })) events.push(...b);
    expect(stats.badLines).toBe(5);
    expect(seen).toEqual([21, 22, 23, 24, broken.length].map((n) => `${path}:${n}`));
    expect(stats.bad[0].error).toMatch(/JSON|Unterminated|Expected/i);
    expect(stats.read).toBe(broken.length);
    const good = [];
    for await (const b of mapEventLog(resolveLogs([fixture('plain')])[0], newStats())) good.push(...b);
    expect(events.length).toBe(good.length);
  });

  it('errors: a missing path, an unsupported codec, an empty folder', () => {
    const dir = tmp();
    expect(() => resolveLogs([join(dir, 'nope')])).toThrow(EventLogError);
    try {
      resolveLogs([join(dir, 'nope')]);
    } catch (e) {
      expect((e as EventLogError).kind).toBe('missing');
    }
    writeFileSync(join(dir, 'local-1.lzf'), 'x');
    try {
      resolveLogs([join(dir, 'local-1.lzf')]);
      expect.unreachable();
    } catch (e) {
      expect((e as EventLogError).kind).toBe('unsupported-codec');
      expect((e as Error).message).toContain('unsupported event log codec "lzf"');
    }
    const empty = tmp();
    expect(() => resolveLogs([empty])).toThrow(/no Spark event logs/);
  });
});
