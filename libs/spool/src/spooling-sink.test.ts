// SpoolingSink over a test double of the inner sink: order, outage, cap, crash and replay,
// recovery from damage, read-back of what was already published.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordKey, type OutRecord } from '@sparkwire/pipeline';
import { MemorySink, spoolTestOptions, waitFor } from '@sparkwire/testkit';
import { readCheckpoint } from './checkpoint';
import { SpoolingSink } from './spooling-sink';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'spool-sink-'));
  dirs.push(d);
  return d;
};
const logs: string[] = [];
const log = { info: (_o: object, m: string) => logs.push(m), warn: (_o: object, m: string) => logs.push(m), error: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`) };

/** A MemorySink that can also answer the read-back question from what it holds. */
class ReadableSink extends MemorySink {
  readonly times: number[] = [];
  async write(records: OutRecord[]): Promise<void> {
    await super.write(records);
    for (let i = 0; i < records.length; i++) this.times.push(Date.now());
  }
  async recentRecordKeys(topics: string[], sinceMs: number): Promise<Set<string>> {
    const out = new Set<string>();
    this.records.forEach((r, i) => {
      if (topics.includes(r.topic) && this.times[i] >= sinceMs) out.add(recordKey(r.topic, r.key, r.value));
    });
    return out;
  }
}

const opts = spoolTestOptions;

let n = 0;
const batch = (size: number, topic = 'events'): { records: OutRecord[]; ids: string[] } => {
  const records: OutRecord[] = [];
  const ids: string[] = [];
  for (let i = 0; i < size; i++) {
    const id = `ev-${++n}`;
    ids.push(id);
    records.push({ topic, key: 'app-1', value: JSON.stringify({ eventId: id, pad: 'p'.repeat(100) }) });
  }
  return { records, ids };
};
const idsOf = (records: OutRecord[]) => records.map((r) => JSON.parse(r.value as string).eventId as string);

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => waitFor(what, check, ms, 10);

const segmentsIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.swl'));

/** What kill -9 leaves: no more publishing, no checkpoint, no cleanup (the LOCK is ours, so it is taken over). */
async function crash(sink: SpoolingSink): Promise<void> {
  const internals = sink as unknown as { drainer: { stop(ms: number): Promise<void> }; wal: { close(): Promise<void> } };
  await internals.drainer.stop(0);
  await internals.wal.close();
}

describe('SpoolingSink', () => {
  it('acks once durable, publishes every record in order, deletes published segments', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    const sink = new SpoolingSink(inner, opts(dir), log);
    await sink.start();
    const sent: string[] = [];
    // Concurrent writes, as from many streams: group commit, order of appends kept.
    for (let round = 0; round < 20; round++) {
      const bs = Array.from({ length: 10 }, () => batch(5));
      for (const b of bs) sent.push(...b.ids);
      await Promise.all(bs.map((b) => sink.write(b.records, { eventIds: b.ids })));
    }
    await until('drained', () => inner.records.length === sent.length);
    expect(idsOf(inner.records)).toEqual(sent);
    // 1000 records of ~150 bytes in 64 KiB segments: several rolls; all but the newest
    // fully published one (and the active one) are gone once checkpointed.
    await until('segments removed', () => segmentsIn(dir).length <= 2);
    const s = sink.stats();
    expect(s.publishedRecords).toBe(sent.length);
    expect(s.pendingEntries).toBe(0);
    const { checkpoint } = await readCheckpoint(dir);
    expect(checkpoint!.seq).toBeGreaterThan(1);
    await sink.close();
    // Closed with everything published: the spool is left empty for the next start.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('Kafka down: accepts up to the byte cap, then refuses; drains in order when Kafka is back', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    inner.ready = false;
    const changes: boolean[] = [];
    const sink = new SpoolingSink(inner, opts(dir, { maxBytes: 256 * 1024, segmentBytes: 32 * 1024 }), log, { onAcceptingChange: (a) => changes.push(a) });
    await sink.start();
    expect(sink.isReady()).toBe(true);
    expect(sink.innerReady()).toBe(false);
    const accepted: string[] = [];
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const b = batch(4);
      if (!sink.isReady()) {
        refused++;
        await expect(sink.write(b.records, { eventIds: b.ids })).rejects.toThrow(/spool is full/);
        continue;
      }
      await sink.write(b.records, { eventIds: b.ids });
      accepted.push(...b.ids);
    }
    expect(refused).toBeGreaterThan(0);
    expect(sink.isReady()).toBe(false);
    expect(sink.unavailableReason()).toMatch(/spool is full .* Kafka is unreachable/);
    expect(changes).toEqual([true, false]);
    expect(sink.stats().bytes).toBeLessThan(256 * 1024 + 4 * 1024);
    expect(inner.records).toHaveLength(0);
    inner.ready = true;
    await until('drained', () => inner.records.length === accepted.length);
    expect(idsOf(inner.records)).toEqual(accepted);
    await until('accepting again', () => sink.isReady());
    expect(changes).toEqual([true, false, true]);
    await sink.close();
  });

  it('a failing publish is retried with exactly the same group until it succeeds', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    const groups: string[][] = [];
    let failures = 3;
    const orig = inner.write.bind(inner);
    inner.write = async (records) => {
      groups.push(idsOf(records));
      if (failures-- > 0) throw new Error('broker gone');
      return orig(records);
    };
    const sink = new SpoolingSink(inner, opts(dir), log);
    await sink.start();
    const b = batch(30);
    await sink.write(b.records, { eventIds: b.ids });
    await until('published', () => inner.records.length === 30);
    expect(groups.slice(0, 4)).toEqual([b.ids, b.ids, b.ids, b.ids]);
    expect(sink.stats().publishFailures).toBe(3);
    await sink.close();
  });

  it('splits large entries into groups within the publish limits', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    const sizes: number[] = [];
    const orig = inner.write.bind(inner);
    inner.write = async (records) => {
      sizes.push(records.length);
      return orig(records);
    };
    const sink = new SpoolingSink(inner, opts(dir, { publishMaxRecords: 100 }), log);
    await sink.start();
    const b = batch(250);
    await sink.write(b.records, { eventIds: b.ids });
    await until('published', () => inner.records.length === 250);
    expect(sizes).toEqual([100, 100, 50]);
    expect(idsOf(inner.records)).toEqual(b.ids);
    await sink.close();
  });

  it('crash (no close): the next process replays the unpublished tail in order and skips what Kafka already has', async () => {
    const dir = tmp();
    const inner = new ReadableSink();
    const first = new SpoolingSink(inner, opts(dir), log);
    await first.start();
    const published = batch(50);
    await first.write(published.records, { eventIds: published.ids });
    await until('first batch out', () => inner.records.length === 50);
    // Kafka goes away; more batches are acked into the spool only.
    inner.ready = false;
    const spooled = [batch(40), batch(40)];
    for (const b of spooled) await first.write(b.records, { eventIds: b.ids });
    await crash(first);
    // The process "dies" here: nothing is closed. Simulate that the last group had reached
    // Kafka although the checkpoint did not record it: put its first 10 records in Kafka by hand.
    inner.records.push(...spooled[0].records.slice(0, 10));
    inner.times.push(...spooled[0].records.slice(0, 10).map(() => Date.now()));
    inner.ready = true;

    const next = new SpoolingSink(inner, opts(dir), log);
    await next.start();
    expect(next.recovered!.tail.entries).toBeGreaterThanOrEqual(2);
    const ids = next.takeRecoveredEventIds();
    expect(ids).toEqual(expect.arrayContaining([...published.ids.slice(-5), ...spooled[1].ids]));
    await until('replayed', () => inner.records.length === 130);
    const got = idsOf(inner.records);
    expect(new Set(got).size).toBe(130);
    expect(got).toEqual([...published.ids, ...spooled[0].ids.slice(0, 10), ...spooled[0].ids.slice(10), ...spooled[1].ids]);
    // At least the 10 put there by hand; also the first batch if the checkpoint had not caught up.
    expect(next.stats().recovered.skippedAlreadyPublished).toBeGreaterThanOrEqual(10);
    await next.close();
  });

  it('crash after a checkpoint: the next process publishes only what is after it (no read-back needed), and recovers the event ids', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    const first = new SpoolingSink(inner, opts(dir, { segmentBytes: 64 * 1024 }), log);
    await first.start();
    const published = Array.from({ length: 30 }, () => batch(10));
    for (const b of published) await first.write(b.records, { eventIds: b.ids });
    await until('published', () => inner.records.length === 300);
    await until('checkpointed', () => first.stats().checkpoints > 0 && first.stats().pendingEntries === 0);
    await new Promise((r) => setTimeout(r, 200));
    inner.ready = false;
    const pending = batch(10);
    await first.write(pending.records, { eventIds: pending.ids });
    await crash(first);
    inner.ready = true;
    const next = new SpoolingSink(inner, opts(dir), log);
    await next.start();
    await until('replayed', () => inner.records.length === 310);
    await new Promise((r) => setTimeout(r, 300));
    expect(inner.records).toHaveLength(310);
    expect(idsOf(inner.records.slice(300))).toEqual(pending.ids);
    // The ids of the newest entries (kept segment and tail) are handed to the pipeline's dedupe window.
    expect(next.takeRecoveredEventIds()).toEqual(expect.arrayContaining(pending.ids));
    await next.close();
  });

  it('a torn tail and a damaged checkpoint after a power cut: good entries kept, damage reported, no throw', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    inner.ready = false;
    const sink = new SpoolingSink(inner, opts(dir, { segmentBytes: 1024 * 1024 }), log);
    await sink.start();
    const bs = Array.from({ length: 10 }, () => batch(3));
    for (const b of bs) await sink.write(b.records, { eventIds: b.ids });
    await (sink as unknown as { wal: { close(): Promise<void> } }).wal.close();
    const seg = join(dir, segmentsIn(dir).sort().pop()!);
    truncateSync(seg, statSync(seg).size - 37);
    writeFileSync(join(dir, 'checkpoint'), '{"v":1,"seq":3');
    logs.length = 0;
    inner.ready = true;
    const next = new SpoolingSink(inner, opts(dir), log);
    await next.start();
    await until('replayed', () => inner.records.length === 27);
    expect(idsOf(inner.records)).toEqual(bs.slice(0, 9).flatMap((b) => b.ids));
    expect(next.recovered!.corruption).toEqual([expect.objectContaining({ action: 'truncated', reason: expect.stringMatching(/truncated/) })]);
    expect(next.recovered!.checkpointProblem).toMatch(/damaged/);
    expect(logs.some((l) => l.startsWith('spool: damaged data found and skipped'))).toBe(true);
    const saved = readdirSync(join(dir, 'corrupt'));
    expect(saved).toHaveLength(1);
    // The cut-off bytes (the first 9 entries' worth are kept in place) are saved for inspection.
    expect(readFileSync(join(dir, 'corrupt', saved[0])).length).toBeGreaterThan(0);
    await next.close();
    // Restarting once more: nothing to report any more (the tail was cut off).
    logs.length = 0;
    const again = new SpoolingSink(inner, opts(dir), log);
    await again.start();
    expect(again.recovered!.corruption).toEqual([]);
    await again.close();
  });

  it('garbage segment files and a garbage checkpoint never stop the start', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'segment-0000000000000001.swl'), Buffer.from('this is not a spool segment at all'.repeat(50)));
    writeFileSync(join(dir, 'segment-0000000000000005.swl'), Buffer.alloc(0));
    writeFileSync(join(dir, 'checkpoint'), Buffer.from([0xff, 0xfe, 0x00]));
    const inner = new MemorySink();
    const sink = new SpoolingSink(inner, opts(dir), log);
    await sink.start();
    expect(sink.recovered!.corruption.map((c) => c.action)).toEqual(['dropped']);
    const b = batch(3);
    await sink.write(b.records, { eventIds: b.ids });
    await until('published', () => inner.records.length === 3);
    await sink.close();
  });

  it('fsync interval: acks before the fsync, syncs in the background, same delivery', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    const sink = new SpoolingSink(inner, opts(dir, { fsync: 'interval', fsyncIntervalMs: 20 }), log);
    await sink.start();
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      const b = batch(2);
      sent.push(...b.ids);
      await sink.write(b.records, { eventIds: b.ids });
    }
    await until('drained', () => inner.records.length === sent.length);
    await until('synced', () => sink.stats().fsyncs > 0);
    expect(idsOf(inner.records)).toEqual(sent);
    await sink.close();
  });

  it('close leaves what Kafka did not take in the spool, and the next start publishes it', async () => {
    const dir = tmp();
    const inner = new MemorySink();
    inner.ready = false;
    const sink = new SpoolingSink(inner, opts(dir, { closeDrainMs: 200 }), log);
    await sink.start();
    const b = batch(20);
    await sink.write(b.records, { eventIds: b.ids });
    const t0 = Date.now();
    await sink.close();
    expect(Date.now() - t0).toBeLessThan(1500);
    await expect(sink.write(b.records)).rejects.toThrow(/closed/);
    inner.ready = true;
    const next = new SpoolingSink(inner, opts(dir), log);
    await next.start();
    await until('published', () => inner.records.length === 20);
    expect(idsOf(inner.records)).toEqual(b.ids);
    await next.close();
  });

  it('one process per spool directory', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    const sink = new SpoolingSink(new MemorySink(), opts(dir), log);
    await expect(sink.start()).rejects.toThrow(/in use by another sparkwire process/);
  });
});
