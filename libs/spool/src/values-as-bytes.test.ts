// SpoolOptions.valuesAsBytes: the inner sink gets every value as the spooled bytes (views),
// from the cache and from disk alike, the same bytes the strings encode to; what needs the
// text back (the dead-letter store) has it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordBytes, RecordsRefusedError, type OutRecord } from '@sparkwire/pipeline';
import { MemorySink, spoolTestOptions, waitFor } from '@sparkwire/testkit';
import { DeadLetterStore } from './dead-letter';
import { SpoolingSink, type SpoolOptions } from './spooling-sink';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'spool-bytes-'));
  dirs.push(d);
  return d;
};
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const opts = (dir: string, o: Partial<SpoolOptions> = {}): SpoolOptions => spoolTestOptions(dir, { valuesAsBytes: true, ...o });

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => waitFor(what, check, ms, 10);

let n = 0;
const records = (k: number): OutRecord[] =>
  Array.from({ length: k }, (_, i) =>
    i % 3 === 2
      ? { topic: 'proto', key: null, value: Buffer.from([0, 1, 2, 255, ++n & 0xff]) }
      : { topic: 'events', key: i % 2 ? 'app-é' : null, value: JSON.stringify({ eventId: `ev-${++n}`, text: 'ü "中" 😀\n' }) },
  );
const bytesOf = (r: OutRecord) => (typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value);

describe('SpoolingSink with valuesAsBytes', () => {
  for (const [name, cacheBytes] of [
    ['from the cache', 64 * 1024 * 1024],
    ['from disk (no cache)', 0],
  ] as const) {
    it(`hands the inner sink the bytes of every value, in order (${name})`, async () => {
      const dir = tmp();
      const inner = new MemorySink();
      const sink = new SpoolingSink(inner, opts(dir, { cacheBytes }), log);
      await sink.start();
      const sent: OutRecord[] = [];
      for (let b = 0; b < 30; b++) {
        const rs = records(7);
        sent.push(...rs);
        await sink.write(rs, { eventIds: rs.map((_, i) => `b${b}-${i}`) });
      }
      await until('drained', () => inner.records.length === sent.length);
      expect(inner.records.every((r) => Buffer.isBuffer(r.value))).toBe(true);
      expect(inner.records.map((r) => [r.topic, r.key, bytesOf(r).toString('hex')])).toEqual(sent.map((r) => [r.topic, r.key, bytesOf(r).toString('hex')]));
      expect(inner.records.map(recordBytes)).toEqual(sent.map(recordBytes));
      const s = sink.stats();
      if (cacheBytes === 0) expect(s.diskReads).toBeGreaterThan(0);
      else expect(s.cacheHits).toBeGreaterThan(0);
      await sink.close();
    });
  }

  it('a refused text record is set aside as its text, with its event id', async () => {
    class Refusing extends MemorySink {
      async write(rs: OutRecord[]): Promise<void> {
        if (rs.some((r) => String(r.value).includes('POISON'))) throw new RecordsRefusedError('invalid', 'INVALID_RECORD');
        await super.write(rs);
      }
    }
    const dir = tmp();
    const inner = new Refusing();
    const sink = new SpoolingSink(inner, opts(dir), log);
    await sink.start();
    const rs: OutRecord[] = [
      { topic: 'events', key: 'a', value: JSON.stringify({ eventId: 'ok-1' }) },
      { topic: 'events', key: 'a', value: JSON.stringify({ eventId: 'bad-1', x: 'POISON ü' }) },
      { topic: 'events', key: 'a', value: JSON.stringify({ eventId: 'ok-2' }) },
    ];
    await sink.write(rs, { eventIds: ['ok-1', 'bad-1', 'ok-2'] });
    await until('drained', () => sink.stats().pendingEntries === 0 && inner.records.length === 2);
    const dl = await new DeadLetterStore(dir).list();
    expect(dl.map((e) => [e.eventId, e.valueEncoding, e.value])).toEqual([['bad-1', 'utf8', rs[1].value]]);
    await sink.close();
  });
});
