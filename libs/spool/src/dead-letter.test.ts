// The dead-letter store's format and re-drive, and the drainer setting refused records
// aside so that the records behind them are published (a fake inner sink that refuses what
// Kafka would). Against a real broker: libs/kafka-sink/src/kafka-sink.int.test.ts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordBytes, RecordsRefusedError, type OutRecord } from '@sparkwire/pipeline';
import { MemorySink, spoolTestOptions, waitFor } from '@sparkwire/testkit';
import { readCheckpoint } from './checkpoint';
import { DeadLetterFullError, DeadLetterStore, deadLetterEntry, entryRecord, redrive } from './dead-letter';
import { SpoolingSink } from './spooling-sink';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'spool-dl-'));
  dirs.push(d);
  return d;
};
const logs: Array<{ msg: string; o: Record<string, unknown> }> = [];
const log = {
  info: (o: object, m: string) => logs.push({ msg: m, o: o as Record<string, unknown> }),
  warn: (o: object, m: string) => logs.push({ msg: m, o: o as Record<string, unknown> }),
  error: (o: object, m: string) => logs.push({ msg: m, o: o as Record<string, unknown> }),
};

/** Takes records like Kafka would: refuses a request holding a record over `limit` or one marked POISON. */
class StrictSink extends MemorySink {
  limit = 1000;
  /** maxRecordBytes() reports this (the limit as the sidecar last read it). */
  known = 1000;
  requests: number[] = [];
  downAfter = Infinity;
  maxRecordBytes(): number {
    return this.known;
  }
  async refreshLimits(): Promise<void> {
    this.known = this.limit;
  }
  async write(records: OutRecord[]): Promise<void> {
    if (this.requests.length >= this.downAfter) throw new Error('connect ECONNREFUSED');
    this.requests.push(records.length);
    for (const r of records) {
      if (recordBytes(r) > this.limit) throw new RecordsRefusedError('The request included a message larger than the max message size the server will accept', 'MESSAGE_TOO_LARGE', this.limit);
      if (String(r.value).includes('POISON')) throw new RecordsRefusedError('This record has failed the validation on broker and hence be rejected', 'INVALID_RECORD');
    }
    await super.write(records);
  }
}

let n = 0;
const rec = (pad = 50, marker = ''): OutRecord => ({ topic: 'events', key: 'app-1', value: JSON.stringify({ eventId: `ev-${++n}`, marker, pad: 'p'.repeat(pad) }) });
const idOf = (r: OutRecord) => JSON.parse(r.value as string).eventId as string;

const opts = spoolTestOptions;

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => waitFor(what, check, ms, 20);

describe('dead-letter store', () => {
  it('writes one NDJSON file per run, named after its first record, with everything needed to re-drive', async () => {
    const dir = tmp();
    const store = new DeadLetterStore(dir);
    const text = rec(10);
    const bin: OutRecord = { topic: 'pb', key: null, value: Buffer.from([0, 1, 2, 255]) };
    const file = await store.add([
      deadLetterEntry(text, { seq: 42, index: 3, appendedAtMs: 1000 }, { reason: 'MESSAGE_TOO_LARGE', message: 'too large', limitBytes: 900 }, Date.UTC(2026, 0, 2)),
      deadLetterEntry(bin, { seq: 42, index: 4, appendedAtMs: 1000 }, { reason: 'INVALID_RECORD', message: 'invalid' }),
    ]);
    expect(file).toBe(join(dir, 'dead-letter', 'dl-0000000000000042-00000003.ndjson'));
    expect(readdirSync(join(dir, 'dead-letter'))).toEqual(['dl-0000000000000042-00000003.ndjson']);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      v: 1,
      id: '42-3',
      deadAt: '2026-01-02T00:00:00.000Z',
      topic: 'events',
      key: 'app-1',
      valueEncoding: 'utf8',
      value: text.value,
      bytes: recordBytes(text),
      eventId: idOf(text),
      error: { reason: 'MESSAGE_TOO_LARGE', message: 'too large', limitBytes: 900 },
      spool: { seq: 42, index: 3, appendedAtMs: 1000 },
    });
    expect(lines[1]).toMatchObject({ id: '42-4', key: null, valueEncoding: 'base64', value: 'AAEC/w==', bytes: 4 });
    expect(entryRecord(lines[1])).toEqual(bin);
    expect(entryRecord(lines[0])).toEqual(text);
    expect(store.stats()).toMatchObject({ files: 1, added: 2 });
    // The same record set aside again (a crash before the checkpoint moved): listed once.
    await store.add([deadLetterEntry(text, { seq: 42, index: 3, appendedAtMs: 1000 }, { reason: 'MESSAGE_TOO_LARGE', message: 'again' })]);
    await store.add([deadLetterEntry(text, { seq: 40, index: 0, appendedAtMs: 1000 }, { reason: 'MESSAGE_TOO_LARGE', message: 'other' })]);
    expect((await store.list()).map((e) => e.id)).toEqual(['40-0', '42-3', '42-4']);
  });

  it('refuses to grow past its cap', async () => {
    const store = new DeadLetterStore(tmp(), 1500);
    await store.add([deadLetterEntry(rec(500), { seq: 1, index: 0, appendedAtMs: 0 }, { reason: 'X', message: 'x' })]);
    await expect(store.add([deadLetterEntry(rec(500), { seq: 2, index: 0, appendedAtMs: 0 }, { reason: 'X', message: 'x' })])).rejects.toBeInstanceOf(DeadLetterFullError);
  });

  it('re-drive publishes in order, removes what was delivered, keeps what is still refused with the new error', async () => {
    const dir = tmp();
    const store = new DeadLetterStore(dir);
    const big = rec(2000);
    const poison = rec(10, 'POISON');
    const fine = rec(10);
    await store.add([deadLetterEntry(big, { seq: 5, index: 0, appendedAtMs: 0 }, { reason: 'MESSAGE_TOO_LARGE', message: 'm' })]);
    await store.add([deadLetterEntry(poison, { seq: 6, index: 0, appendedAtMs: 0 }, { reason: 'INVALID_RECORD', message: 'm' }), deadLetterEntry(fine, { seq: 6, index: 1, appendedAtMs: 0 }, { reason: 'INVALID_RECORD', message: 'm' })]);
    const sink = new StrictSink();
    // Limit still too low for the big one: it is not even sent.
    let res = await redrive(store, sink);
    expect(res.delivered).toEqual(['6-1']);
    expect(res.refused.map((r) => [r.id, r.error.reason])).toEqual([
      ['5-0', 'RECORD_TOO_LARGE'],
      ['6-0', 'INVALID_RECORD'],
    ]);
    expect(sink.records.map(idOf)).toEqual([idOf(fine)]);
    const left = await store.list();
    expect(left.map((e) => [e.id, e.redriveAttempts, e.lastRedrive?.error.reason])).toEqual([
      ['5-0', 1, 'RECORD_TOO_LARGE'],
      ['6-0', 1, 'INVALID_RECORD'],
    ]);
    // The operator raised the limit: the big one goes (refreshLimits reads it), the poison stays.
    sink.limit = 10_000;
    res = await redrive(store, sink, { ids: ['5-0', '9-9'] });
    expect(res.delivered).toEqual(['5-0']);
    expect(res.missing).toEqual(['9-9']);
    expect((await store.list()).map((e) => e.id)).toEqual(['6-0']);
    expect(readdirSync(join(dir, 'dead-letter')).filter((f) => f.endsWith('.ndjson'))).toEqual(['dl-0000000000000006-00000000.ndjson']);
  });

  it('a re-drive that meets Kafka down stops and removes only what was delivered', async () => {
    const store = new DeadLetterStore(tmp());
    const records = [rec(), rec(), rec()];
    await store.add(records.map((r, i) => deadLetterEntry(r, { seq: 1, index: i, appendedAtMs: 0 }, { reason: 'INVALID_RECORD', message: 'm' })));
    const sink = new StrictSink();
    sink.downAfter = 1;
    const res = await redrive(store, sink);
    expect(res.delivered).toEqual(['1-0']);
    expect(res.stoppedBy).toBe('connect ECONNREFUSED');
    expect((await store.list()).map((e) => e.id)).toEqual(['1-1', '1-2']);
  });

  it('one re-drive at a time', async () => {
    const store = new DeadLetterStore(tmp());
    await store.add([deadLetterEntry(rec(), { seq: 1, index: 0, appendedAtMs: 0 }, { reason: 'X', message: 'x' })]);
    const release = store.lock();
    // The same process may re-enter (pid check); another pid alive is refused.
    expect(existsSync(join(store.dir, 'redrive.lock'))).toBe(true);
    release();
    expect(existsSync(join(store.dir, 'redrive.lock'))).toBe(false);
  });
});

describe('spool drainer and refused records', () => {
  it('a record over the limit is set aside and every record behind it is published, in order', async () => {
    const dir = tmp();
    const sink = new StrictSink();
    const spool = new SpoolingSink(sink, opts(dir), log);
    await spool.start();
    const batches = [[rec(), rec()], [rec(), rec(5000), rec()], [rec(), rec()]];
    for (const b of batches) await spool.write(b, { eventIds: b.map(idOf) });
    await until('drained', () => spool.stats().pendingEntries === 0 && sink.records.length === 6);
    const expected = batches.flat().filter((r) => recordBytes(r) <= 1000).map(idOf);
    expect(sink.records.map(idOf)).toEqual(expected);
    // Known to be too large (maxRecordBytes): never sent.
    expect(sink.requests.every((n) => n > 0)).toBe(true);
    const dl = await new DeadLetterStore(dir).list();
    expect(dl.map((e) => [e.eventId, e.error.reason, e.spool.seq, e.spool.index])).toEqual([[idOf(batches[1][1]), 'RECORD_TOO_LARGE', 2, 1]]);
    expect(spool.stats().deadLetter).toMatchObject({ records: 1, files: 1 });
    expect(logs.some((l) => l.msg.startsWith('spool: Kafka refused a record') && l.o.eventId === idOf(batches[1][1]))).toBe(true);
    await spool.close();
    expect((await readCheckpoint(dir)).checkpoint).toBeUndefined(); // drained: spool emptied
    expect((await new DeadLetterStore(dir).list()).length).toBe(1); // dead letters stay
  });

  it('a group the sink refuses is isolated: only the refused records are set aside (limit lowered after the ack, INVALID_RECORD)', async () => {
    const dir = tmp();
    const sink = new StrictSink();
    sink.known = 100_000; // the sidecar thinks the limit is high; Kafka has 1000
    const spool = new SpoolingSink(sink, opts(dir), log);
    await spool.start();
    const records = Array.from({ length: 40 }, (_, i) => (i === 7 ? rec(3000) : i === 23 ? rec(10, 'POISON') : rec()));
    await spool.write(records, { eventIds: records.map(idOf) });
    await until('drained', () => spool.stats().pendingEntries === 0);
    expect(sink.records.map(idOf)).toEqual(records.filter((_, i) => i !== 7 && i !== 23).map(idOf));
    const dl = await new DeadLetterStore(dir).list();
    expect(dl.map((e) => [e.id, e.error.reason])).toEqual([
      ['1-7', 'MESSAGE_TOO_LARGE'],
      ['1-23', 'INVALID_RECORD'],
    ]);
    // Halving: far fewer requests than one per record.
    expect(sink.requests.length).toBeLessThan(25);
    await spool.close();
  });

  it('Kafka going down in the middle of an isolation: it resumes where it was, nothing published twice', async () => {
    const dir = tmp();
    const sink = new StrictSink();
    sink.known = 100_000;
    const spool = new SpoolingSink(sink, opts(dir), log);
    await spool.start();
    const records = Array.from({ length: 32 }, (_, i) => (i === 30 ? rec(10, 'POISON') : rec()));
    sink.downAfter = 4; // the whole group, then halves, then down
    await spool.write(records, { eventIds: records.map(idOf) });
    await until('down', () => spool.stats().publishFailures > 0);
    sink.downAfter = Infinity;
    await until('drained', () => spool.stats().pendingEntries === 0);
    expect(sink.records.map(idOf)).toEqual(records.filter((_, i) => i !== 30).map(idOf));
    expect((await new DeadLetterStore(dir).list()).map((e) => e.id)).toEqual(['1-30']);
    await spool.close();
  });

  it('a full dead-letter store holds the drainer (nothing dropped) until there is room', async () => {
    const dir = tmp();
    const sink = new StrictSink();
    const spool = new SpoolingSink(sink, opts(dir, { deadLetterMaxBytes: 600 }), log);
    await spool.start();
    const records = [rec(), rec(5000), rec()];
    await spool.write(records, { eventIds: records.map(idOf) });
    await until('failing', () => spool.stats().publishFailures > 1);
    expect(spool.stats().lastPublishError).toMatch(/dead-letter store is full/);
    expect(spool.stats().pendingEntries).toBe(1);
    // The operator raises the limit: the record goes to Kafka after all.
    sink.limit = 10_000;
    await until('drained', () => spool.stats().pendingEntries === 0);
    expect(sink.records.map(idOf)).toEqual(records.map(idOf));
    await spool.close();
  });
});
