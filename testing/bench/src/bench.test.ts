// Smoke test of the benchmark itself, and the integrity check it gates every run on: a tiny
// run end to end (real broker, sidecar process, 2 clients x 15k events, a short paced phase)
// must find, once the spool drained, exactly the records of the acked events in the topic,
// by count and by event id, and leave no spool behind. A regression that loses, withholds or
// duplicates records fails here. It says nothing about the sidecar's speed (no thresholds).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { encoderFor } from '@sparkwire/encoding';
import { PublishRequest, SparkEvent } from '@sparkwire/proto';
import { runBench, safeMaxBatchRecords, type BenchResult } from './bench';
import { BatchBuilder, benchEventId, buildTemplatePool, parseBenchEventId, selfCheck, type Encoding, type TemplatePool } from './events';
import { IntegrityChecker, ledgerOf, recordIdentity } from './integrity';
import { formatConsole, formatMarkdown } from './report';
import { failureOf, parseOptions } from './run';
import { parseVariants } from './variants';
import { parsePromSamples, testStateDir } from '@sparkwire/testkit';
import { defaultSpoolDir, STATE_DIR_ENV } from '@sparkwire/spool';
import { summarize } from './load';
import { InKafkaLatencyMeter, untilPartitionsAnswer } from './in-kafka-latency';

describe('batch building', () => {
  it('builds PublishRequests the real decoder reads, with unique event ids', () => {
    const pool = buildTemplatePool(0, 'json');
    selfCheck(pool);
    expect(pool.recordsPerEvent).toBeCloseTo(1.5, 1); // half taskEnd (2 records), half taskStart (1)
    expect(pool.avgRecordBytes).toBeGreaterThan(300);
    const b = new BatchBuilder('c', pool);
    const ids = new Set<string>();
    for (let seq = 1; seq <= 12; seq++) {
      const req = PublishRequest.decode(b.build(seq, 500).bytes);
      expect(req.batchSeq).toBe(BigInt(seq));
      for (const e of req.events) ids.add(e.eventId);
    }
    expect(ids.size).toBe(6000); // wraps the 4,010-event pool, ids stay unique
  });

  it('sizes kafka.maxBatchRecords to fit 1 MiB', () => {
    expect(safeMaxBatchRecords(668, 23) * (668 + 23 + 30)).toBeLessThan(1_048_588);
  });

  it('reads the spool gauges from the Prometheus text', () => {
    const m = parsePromSamples(
      ['# HELP sparkwire_spool_pending_entries x', '# TYPE sparkwire_spool_pending_entries gauge', 'sparkwire_spool_pending_entries 12', 'sparkwire_spool_bytes 1.5e+06', 'sparkwire_spool_drainer_state{state="idle"} 1'].join('\n'),
    );
    expect(m.get('sparkwire_spool_pending_entries')).toBe(12);
    expect(m.get('sparkwire_spool_bytes')).toBe(1_500_000);
    expect(m.get('sparkwire_spool_drainer_state{state="idle"}')).toBe(1);
  });

  it('nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect([s.p50, s.p99, s.max]).toEqual([50, 99, 100]);
  });
});

/** The records the sidecar makes of a client's events 1..n (the real encoder, the bench's event ids). */
function recordsOf(pool: TemplatePool, encoding: Encoding, from: number, to: number): Buffer[] {
  const enc = encoderFor(encoding);
  const out: Buffer[] = [];
  for (let n = from; n <= to; n++) {
    const ev = SparkEvent.decode(pool.templates[(n - 1) % pool.templates.length].bytes);
    for (const v of enc.encode({ ...ev, eventId: benchEventId(pool.appId, n) })) out.push(typeof v === 'string' ? Buffer.from(v) : Buffer.from(v));
  }
  return out;
}

describe('integrity check', () => {
  const pool = buildTemplatePool(0, 'json', { tasksPerStage: 3 });
  const other = buildTemplatePool(1, 'json', { tasksPerStage: 3 });
  // Client 1: events 1..40 sent, batches 1-10, 11-20 and 31-40 acked (21-30 not acked).
  const acked = [
    { first: 1, count: 10 },
    { first: 11, count: 10 },
    { first: 31, count: 10 },
  ];
  const topic = () => [...recordsOf(pool, 'json', 1, 20), ...recordsOf(pool, 'json', 31, 40), ...recordsOf(other, 'json', 1, 5)];
  const checker = (extra: string[] = []) => new IntegrityChecker([ledgerOf(pool, acked, 40), ledgerOf(other, [{ first: 1, count: 5 }], 5)], 'json', extra);

  it('event ids round-trip; records name their event', () => {
    expect(parseBenchEventId(benchEventId('app-1', 42))).toEqual({ appId: 'app-1', n: 42 });
    expect(parseBenchEventId('not-a-bench-id')).toBeUndefined();
    const [rec] = recordsOf(pool, 'json', 7, 7);
    expect(recordIdentity(rec, 'json')).toEqual({ eventId: benchEventId(pool.appId, 7), name: expect.stringMatching(/^tasks_/) });
  });

  it('passes when the topic holds exactly the acked records (any order)', () => {
    const c = checker();
    for (const r of topic().reverse()) c.add(r);
    const res = c.result();
    expect(res.ok).toBe(true);
    expect(res.missing + res.unexpected + res.duplicates + res.unreadable).toBe(0);
    expect(res.recordsRead).toBe(res.expectedRecords);
    expect(res.summary).toMatch(/^exact/);
  });

  it('FAILS when one acked record is missing, and names it', () => {
    const recs = topic();
    const dropped = recs.splice(17, 1)[0];
    const c = checker();
    for (const r of recs) c.add(r);
    const res = c.result();
    expect(res.ok).toBe(false);
    expect(res.missing).toBe(1);
    const id = recordIdentity(dropped, 'json')!;
    expect(res.examples.join('\n')).toContain(`missing: ${id.name} of ${id.eventId}`);
  });

  it('FAILS on a duplicate even when the count is right', () => {
    const recs = topic();
    recs[3] = recs[4]; // one record twice, another gone: same count
    const c = checker();
    for (const r of recs) c.add(r);
    const res = c.result();
    expect(res.recordsRead).toBe(res.expectedRecords);
    expect(res.ok).toBe(false);
    expect(res.duplicates).toBe(1);
    expect(res.missing).toBe(1);
  });

  it('FAILS on records of an unacked event, of an unknown id, and unreadable ones', () => {
    const c = checker();
    for (const r of [...topic(), ...recordsOf(pool, 'json', 25, 25), Buffer.from('{"name":"tasks_started","eventId":"someone-else"}'), Buffer.from('garbage')]) c.add(r);
    const res = c.result();
    expect(res.ok).toBe(false);
    expect(res.unexpected).toBe(recordsOf(pool, 'json', 25, 25).length + 1);
    expect(res.unreadable).toBe(1);
  });

  it('FAILS when an ack did not cover its whole batch', () => {
    const c = checker(['batch 3: 10 events, ack accepted 9, duplicates 0']);
    for (const r of topic()) c.add(r);
    expect(c.result().ok).toBe(false);
  });

  it('checks protobuf records by their event_id', () => {
    const p = buildTemplatePool(0, 'protobuf', { tasksPerStage: 3 });
    const c = new IntegrityChecker([ledgerOf(p, [{ first: 1, count: 12 }], 12)], 'protobuf');
    const recs = recordsOf(p, 'protobuf', 1, 12);
    expect(recs).toHaveLength(12);
    for (const r of recs.slice(1)) c.add(r);
    expect(c.result()).toMatchObject({ ok: false, missing: 1 });
  });

  it('a run whose integrity check failed is a failed run', () => {
    const r = {
      throughput: { errors: [] },
      latency: { errors: [] },
      topic: { recordsExpected: 10, recordsInTopic: 10 },
      integrity: { ok: false, summary: 'by event id: 1 acked records missing' },
    } as unknown as BenchResult;
    expect(failureOf(r)).toContain('1 acked records missing');
    expect(failureOf({ ...r, integrity: { ...r.integrity, ok: true } } as BenchResult)).toBeUndefined();
    // Saved results from before the check: the count alone decides.
    expect(failureOf({ ...r, integrity: undefined, topic: { recordsExpected: 10, recordsInTopic: 9 } } as unknown as BenchResult)).toBeDefined();
  });
});

describe('a just-created topic', () => {
  const notLeader = () => Object.assign(new Error('This server is not the leader for that topic-partition'), { retriable: true });
  it('is waited for while its partitions answer with a retriable error, then used', async () => {
    let calls = 0;
    const admin = { fetchTopicOffsets: async () => (++calls < 3 ? Promise.reject(notLeader()) : []) };
    await untilPartitionsAnswer(admin as never, 't', 5_000, 1);
    expect(calls).toBe(3);
  });
  it('fails at once on an error that is not retriable, and after the deadline on one that is', async () => {
    const fatal = { fetchTopicOffsets: async () => Promise.reject(Object.assign(new Error('Not authorized'), { retriable: false })) };
    await expect(untilPartitionsAnswer(fatal as never, 't', 5_000, 1)).rejects.toThrow(/topic t: its partitions do not answer ListOffsets: Not authorized/);
    const stuck = { fetchTopicOffsets: async () => Promise.reject(notLeader()) };
    await expect(untilPartitionsAnswer(stuck as never, 't', 30, 5)).rejects.toThrow(/after 30 ms: This server is not the leader/);
  });
});

describe('event -> in Kafka', () => {
  const pool = buildTemplatePool(0, 'json');
  const record = (n: number, name: string) => Buffer.from(JSON.stringify({ name, eventId: benchEventId(pool.appId, n) }));

  it('takes, per event of the window, the latest append of its records minus when its batch was due', () => {
    const m = new InKafkaLatencyMeter(
      [
        { appId: pool.appId, first: 11, count: 2, atMs: 1_000 },
        { appId: pool.appId, first: 1, count: 2, atMs: 900 },
      ],
      'json',
    );
    m.add(record(1, 'tasks_ended'), 950, true);
    m.add(record(1, 'task_metrics'), 990, true); // the later record of event 1 decides: 90 ms
    m.add(record(2, 'tasks_started'), 930, true); // 30 ms
    m.add(record(11, 'tasks_started'), 1_200, true); // 200 ms
    m.add(record(5, 'tasks_started'), 5_000, true); // not in the window (warm-up or throughput phase)
    m.add(Buffer.from(JSON.stringify({ name: 'x', eventId: 'app-other-e000000000001' })), 9_000, true);
    const r = m.result();
    expect(r.events).toBe(4);
    expect(r.missing).toBe(1); // event 12 never read back
    expect(r.latencyMs.count).toBe(3);
    expect(r.latencyMs.max).toBe(200);
    expect(r.latencyMs.p50).toBe(90);
    expect(r.notAppendTime).toBe(0);
  });

  it('counts records the broker did not stamp (a topic with CreateTime)', () => {
    const m = new InKafkaLatencyMeter([{ appId: pool.appId, first: 1, count: 1, atMs: 0 }], 'json');
    m.add(record(1, 'tasks_started'), 10, false);
    expect(m.result()).toMatchObject({ events: 1, missing: 0, notAppendTime: 1 });
  });
});

describe('options', () => {
  it('takes every compression the sidecar has, and names what it refuses', () => {
    for (const c of ['none', 'gzip', 'lz4']) expect(parseOptions(['--compression', c]).bench.compression).toBe(c);
    expect(() => parseOptions(['--compression', 'snappy'])).toThrow(/none, gzip, lz4 or zstd/);
    expect(parseVariants('json/none,protobuf/lz4,json')).toEqual([
      { encoding: 'json', compression: 'none' },
      { encoding: 'protobuf', compression: 'lz4' },
      { encoding: 'json', compression: 'none' },
    ]);
    expect(() => parseVariants('json/snappy')).toThrow(/compression must be/);
    expect(() => parseVariants('avro/none')).toThrow(/encoding must be/);
  });
});

describe('bench smoke run', () => {
  // One broker for both runs (the second also checks that a topic with older records is
  // counted from where it stood when the run started).
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('2 clients x 15k events: after the spool drained, the topic holds exactly the acked records', async () => {
    const lines: string[] = [];
    const r = await runBench({
      clients: 2,
      eventsPerClient: 15_000,
      batchSize: 500,
      rate: 4_000,
      latencyWarmupS: 0.5,
      latencyDurationS: 1.5,
      ppRecords: 0,
      profile: 'never',
      drainTimeoutS: 40,
      drainStallS: 20,
      bootstrap: broker.bootstrap,
      log: (l) => lines.push(l),
    });
    const why = `\n${lines.join('\n')}`;
    const tp = r.throughput;
    expect(tp.errors, why).toEqual([]);
    expect(tp.eventsSent).toBe(30_000);
    expect(tp.eventsAcked).toBe(tp.eventsSent);
    expect(tp.duplicates).toBe(0);
    expect(tp.batchLatencyMs.count).toBe(60);

    const lat = r.latency!;
    expect(lat, why).toBeDefined();
    expect(lat.errors).toEqual([]);
    expect(lat.eventsAcked).toBe(lat.eventsSent);
    expect(lat.latencyMs.count).toBeGreaterThan(0);
    expect(lat.latencyMs.p50).toBeLessThanOrEqual(lat.latencyMs.p99);
    // Event -> in Kafka: every event of the measured window read back with the broker's append time.
    const k = lat.inKafka!;
    expect(k, why).toBeDefined();
    expect(k.notAppendTime, why).toBe(0);
    expect(k.missing, why).toBe(0);
    expect(k.events).toBeGreaterThan(0);
    expect(k.latencyMs.count).toBe(k.events);
    expect(k.latencyMs.p50).toBeLessThanOrEqual(k.latencyMs.p99);
    expect(r.targets.find((t) => t.name.startsWith('p99 event->in Kafka'))?.measured, why).toMatch(/^\d+\.\d ms/);

    // The integrity condition: drained, then exact by count and by (event id, record).
    expect(r.integrity.drained, why).toBe(true);
    expect(r.integrity.countOk, why).toBe(true);
    expect(r.integrity.ids, why).toBeDefined();
    expect(r.integrity.ids!.summary, why).toMatch(/^exact/);
    expect(r.integrity.ids!.recordsRead).toBe(r.topic.recordsExpected);
    expect(r.integrity.lateRecords).toBe(0);
    expect(r.integrity.ok, why).toBe(true);
    expect(failureOf(r)).toBeUndefined();
    const events = tp.eventsAcked + lat.eventsAcked;
    expect(Math.abs(r.topic.recordsExpected - events * r.load.recordsPerEvent)).toBeLessThan(events * 0.01);

    // End to end: events in Kafka per second, never above the ack rate's events.
    const e = r.endToEnd;
    expect(e.drained).toBe(true);
    expect(e.eventsPerSec).toBeGreaterThan(0);
    expect(e.spanS).toBeGreaterThan(0);
    expect(e.spoolMaxPendingEntries).toBeDefined();

    // Nothing left behind: the temporary spool is gone, nothing new in the default spool directory.
    expect(existsSync(r.spool.dir)).toBe(false);
    // Nothing left where the sidecar's default spool would be (the bench gives it a temporary one).
    expect(existsSync(defaultSpoolDir('127.0.0.1', 0, { ...process.env, [STATE_DIR_ENV]: testStateDir() }, r.sidecar.pid))).toBe(false);

    expect(r.sidecar.idleRssBytes).toBeGreaterThan(0);
    expect(r.sidecar.peakRssBytes).toBeGreaterThanOrEqual(r.sidecar.idleRssBytes);
    // No ProducerPerformance run, so no ratio; the CPU target of the encoding (compression none) and idle RSS are there.
    expect(r.targets.map((t) => t.name.split(' (')[0].replace(/ at .*/, ''))).toEqual([
      'sustained task events/s in Kafka',
      'p99 publish->ack',
      'p99 event->in Kafka',
      'sidecar CPU per event, json',
      'sidecar idle RSS',
      'sidecar peak RSS',
    ]);
    expect(r.targets.find((t) => t.name.startsWith('sidecar CPU per event'))?.measured).toMatch(/^\d+\.\d us$/);

    expect(formatConsole(r)).toContain('end to end');
    expect(formatConsole(r)).toContain('integrity (after the spool drained)');
    expect(formatMarkdown(r, 'npx tsx testing/bench/src/run.ts')).toContain('npx tsx testing/bench/src/run.ts');
  });

  it('a sidecar that keeps acked records from the topic fails the run', async () => {
    // Task records routed to another topic: every batch is acked and the spool drains, but the
    // bench's topic never gets them, as if the sidecar had lost them.
    const lines: string[] = [];
    const r = await runBench({
      clients: 2,
      eventsPerClient: 2_000,
      rate: 0,
      ppRecords: 0,
      profile: 'never',
      drainTimeoutS: 40,
      drainStallS: 20,
      bootstrap: broker.bootstrap,
      sidecarArgs: ['--kafka-tasks-topic', 'bench-elsewhere'],
      log: (l) => lines.push(l),
    });
    const why = `\n${lines.join('\n')}`;
    expect(r.throughput.eventsAcked, why).toBe(4_000);
    expect(r.integrity.drained, why).toBe(true);
    expect(r.integrity.ok).toBe(false);
    expect(r.integrity.countOk).toBe(false);
    expect(r.topic.recordsInTopic).toBe(0); // counted from where the topic stood at the start
    expect(r.integrity.ids?.missing).toBe(r.topic.recordsExpected);
    expect(failureOf(r)).toMatch(/acked records missing/);
    expect(lines.join('\n')).toContain('integrity: FAILED');
    expect(existsSync(r.spool.dir)).toBe(false);
  });
});
