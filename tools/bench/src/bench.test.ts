// Smoke test of the benchmark itself: a tiny run end to end (real broker, sidecar process,
// 2 clients x 20k events, a short paced phase, a small ProducerPerformance run) must
// report sane, self-consistent numbers. It says nothing about the sidecar's speed.
import { describe, expect, it } from 'vitest';
import { PublishRequest } from '@sparkwire/proto';
import { runBench, safeMaxBatchRecords } from './bench';
import { BatchBuilder, buildTemplatePool, selfCheck } from './events';
import { formatConsole, formatMarkdown } from './report';
import { summarize } from './load';

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

  it('nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect([s.p50, s.p99, s.max]).toEqual([50, 99, 100]);
  });
});

describe('bench smoke run', () => {
  it('2 clients x 20k events through the sidecar into a real broker', async () => {
    const lines: string[] = [];
    const r = await runBench({
      clients: 2,
      eventsPerClient: 20_000,
      batchSize: 500,
      rate: 4_000,
      latencyWarmupS: 0.5,
      latencyDurationS: 2,
      ppRecords: 20_000,
      ppDefaultRun: false,
      profile: 'never',
      log: (l) => lines.push(l),
    });
    const tp = r.throughput;
    expect(tp.errors).toEqual([]);
    expect(tp.eventsSent).toBe(40_000);
    expect(tp.eventsAcked).toBe(tp.eventsSent);
    expect(tp.duplicates).toBe(0);
    expect(tp.eventsPerSec).toBeGreaterThan(0);
    expect(tp.recordsPerSec).toBeCloseTo(tp.eventsPerSec * r.load.recordsPerEvent, -2);
    expect(tp.batchLatencyMs.count).toBe(80);

    const lat = r.latency!;
    expect(lat.errors).toEqual([]);
    expect(lat.eventsAcked).toBe(lat.eventsSent);
    expect(lat.latencyMs.count).toBeGreaterThan(0);
    expect(lat.latencyMs.p99).toBeGreaterThan(0);
    expect(lat.latencyMs.p50).toBeLessThanOrEqual(lat.latencyMs.p99);

    // Every acked record is in the topic, nothing more.
    expect(r.topic.recordsInTopic).toBe(r.topic.recordsExpected);
    const events = tp.eventsAcked + lat.eventsAcked;
    expect(Math.abs(r.topic.recordsExpected - events * r.load.recordsPerEvent)).toBeLessThan(events * 0.001);

    expect(r.sidecar.idleRssBytes).toBeGreaterThan(0);
    expect(r.sidecar.peakRssBytes).toBeGreaterThanOrEqual(r.sidecar.idleRssBytes);
    expect(r.sidecar.hwmBytes).toBeGreaterThanOrEqual(r.sidecar.peakRssBytes * 0.99);

    expect(r.producerPerformance).toHaveLength(1);
    expect(r.producerPerformance[0].recordsPerSec).toBeGreaterThan(0);
    expect(r.producerPerformance[0].recordSize).toBe(Math.round(r.load.avgRecordBytes));
    expect(r.ratio!.records).toBeGreaterThan(0);
    expect(r.targets.map((t) => t.name)).toHaveLength(4);

    expect(formatConsole(r)).toContain('events/s');
    expect(formatMarkdown(r, 'npx tsx tools/bench/src/run.ts')).toContain('npx tsx tools/bench/src/run.ts');
  });
});
