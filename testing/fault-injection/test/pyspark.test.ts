// Scenarios 1 and 2 with a real PySpark job as the source: the JVM listener's buffer and
// resend logic in front, the sidecar's spool behind. Zero loss means: the listener dropped
// nothing and delivered everything at close, and Kafka holds every event id it assigned
// (<client id>-1 .. -N, no gap), each exactly once.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { cleanup, freePort, LONG, MiB, readAll, RSS_BOUND, Sidecar, sleep, tempDir, topicEnd, waitFor } from '../src/harness';
import { PySparkJob, type ListenerAccount } from '../src/pyspark-job';
import { recordResult } from '../src/report';

let broker: Broker;
let dir: string;
const sidecars: Sidecar[] = [];
const jobs: PySparkJob[] = [];

beforeAll(async () => {
  dir = tempDir('pyspark');
  broker = await startBroker({ dataDir: join(dir, 'kafka'), numPartitions: 3 });
});
afterAll(async () => {
  for (const j of jobs) j.proc.kill('SIGKILL');
  for (const s of sidecars) await s.stop('SIGKILL');
  await broker?.stop();
  cleanup(dir);
});

interface Verdict {
  account?: ListenerAccount;
  /** Event ids the listener assigned (1..N) missing from Kafka. */
  missing: number;
  duplicates: number;
  inKafka: number;
  records: number;
}

/** Reads the topic until it holds every event the listener acknowledged, then checks ids 1..N. */
async function verdict(job: PySparkJob, topic: string): Promise<Verdict> {
  const account = job.account();
  if (!account) return { missing: -1, duplicates: -1, inKafka: 0, records: 0 };
  const prefix = `${account.clientId}-`;
  const ids = new Map<number, number>();
  const seen = new Map<string, number>();
  let duplicates = 0;
  let records = 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const end = await topicEnd(broker.bootstrap, topic);
    const all = await readAll(broker.bootstrap, topic, end);
    ids.clear();
    seen.clear();
    duplicates = 0;
    records = 0;
    for (const r of all) {
      const o = JSON.parse(r.value.toString()) as { eventId: string; name: string };
      if (!o.eventId.startsWith(prefix)) continue;
      records++;
      const k = `${o.eventId}/${o.name}`;
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      if (n > 1) duplicates++;
      const num = Number(o.eventId.slice(prefix.length));
      ids.set(num, (ids.get(num) ?? 0) + 1);
    }
    if (ids.size >= account.acknowledged || Date.now() > deadline) break;
    await sleep(1000);
  }
  let missing = 0;
  for (let i = 1; i <= account.acknowledged; i++) if (!ids.has(i)) missing++;
  return { account, missing, duplicates, inKafka: ids.size, records };
}

function zeroLoss(v: Verdict): boolean {
  const a = v.account;
  return !!a && a.droppedBufferFull === 0 && a.droppedSidecarUnavailable === 0 && a.rejected === 0 && a.notDelivered === 0 && v.missing === 0 && v.duplicates === 0 && v.inKafka === a.acknowledged;
}

function accountFigures(v: Verdict): Record<string, string | number> {
  const a = v.account;
  if (!a) return { 'listener account': 'missing' };
  return {
    'listener: events acknowledged / dropped / rejected / not delivered': `${a.acknowledged} / ${a.droppedBufferFull + a.droppedSidecarUnavailable} / ${a.rejected} / ${a.notDelivered}`,
    'event ids 1..N missing in Kafka': v.missing,
  };
}

describe('a real PySpark job as the source', () => {
  it('1 (PySpark). broker stopped mid-job, then restarted: zero loss', async () => {
    const outageS = LONG ? 30 : 8;
    const topic = 'fi-pyspark-broker';
    const s = await Sidecar.start({ args: ['--extended', '--kafka-brokers', broker.bootstrap, '--kafka-topic', topic, '--kafka-partitions', '3'], spoolDir: join(dir, 'p1-spool') });
    sidecars.push(s);
    await waitFor('kafka reachable', () => s.logs.some((l) => l.includes('"kafka reachable"')));
    const t0 = Date.now();
    const job = new PySparkJob({ endpoint: s.address, seconds: outageS + 16, app_name: 'fi-pyspark-broker' });
    jobs.push(job);
    await waitFor('Spark jobs running', () => job.jobs >= 3, 180_000, 200);
    const jobsBefore = job.jobs;
    await broker.stop();
    const stoppedAt = Date.now();
    await sleep(outageS * 1000);
    const jobsDuring = job.jobs - jobsBefore;
    const restartedAt = Date.now();
    await broker.restart();
    const code = await job.exited;
    const v = await verdict(job, topic);
    const alive = s.alive;
    const passed = code === 0 && zeroLoss(v) && alive && s.maxRssBytes < RSS_BOUND;
    recordResult({
      id: LONG ? '1p-pyspark-broker-outage-long' : '1p-pyspark-broker-outage',
      title: `1. broker stopped ${outageS} s mid-job (PySpark source)`,
      mode: LONG ? 'long' : 'quick',
      passed,
      acked: v.account?.acknowledged,
      inKafka: v.inKafka,
      lost: v.missing,
      duplicates: v.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'Spark jobs run (during the outage)': `${job.jobs} (${jobsDuring})`,
        'broker down (s)': (restartedAt - stoppedAt) / 1000,
        ...accountFigures(v),
        'spool peak (MiB)': s.maxSpoolBytes / MiB,
      },
    });
    expect(code, job.describe()).toBe(0);
    expect(v.account, job.describe()).toBeDefined();
    expect(v.account).toMatchObject({ droppedBufferFull: 0, droppedSidecarUnavailable: 0, rejected: 0, notDelivered: 0 });
    expect(v.missing).toBe(0);
    expect(v.duplicates).toBe(0);
    expect(v.inKafka).toBe(v.account!.acknowledged);
    expect(alive).toBe(true);
    await s.stop();
  });

  it('2 (PySpark). sidecar killed with SIGKILL mid-job, then restarted: zero loss', async () => {
    const kills = LONG ? 3 : 1;
    const topic = 'fi-pyspark-kill';
    const port = await freePort();
    const spoolDir = join(dir, 'p2-spool');
    const args = ['--extended', '--kafka-brokers', broker.bootstrap, '--kafka-topic', topic, '--kafka-partitions', '3'];
    let s = await Sidecar.start({ args, port, spoolDir });
    sidecars.push(s);
    await waitFor('kafka reachable', () => s.logs.some((l) => l.includes('"kafka reachable"')));
    const t0 = Date.now();
    const job = new PySparkJob({ endpoint: s.address, seconds: 12 + kills * 8, app_name: 'fi-pyspark-kill' });
    jobs.push(job);
    const downFor: number[] = [];
    let maxRss = 0;
    let replayed = 0;
    for (let k = 0; k < kills; k++) {
      const before = job.jobs;
      await waitFor('Spark jobs running', () => job.jobs >= before + 3, 180_000, 200);
      maxRss = Math.max(maxRss, s.maxRssBytes);
      await s.stop('SIGKILL');
      const killedAt = Date.now();
      await sleep(1500);
      s = await Sidecar.start({ args, port, spoolDir });
      sidecars.push(s);
      downFor.push(Date.now() - killedAt);
      replayed += s.logged('spool: replaying').reduce((n, o) => n + (o.entries ?? 0), 0);
    }
    const code = await job.exited;
    const v = await verdict(job, topic);
    maxRss = Math.max(maxRss, s.maxRssBytes);
    const alive = s.alive;
    await s.stop();
    const dedupedResends = s.logged('sparkwire sidecar stopped').reduce((n, o) => n + Number(o.stats?.duplicates?.batch_resend ?? 0) + Object.entries(o.stats?.duplicates ?? {}).filter(([k]) => k !== 'batch_resend').reduce((m, [, x]) => m + Number(x), 0), 0);
    const passed = code === 0 && zeroLoss(v) && alive && maxRss < RSS_BOUND;
    recordResult({
      id: LONG ? '2p-pyspark-sigkill-long' : '2p-pyspark-sigkill',
      title: `2. sidecar SIGKILL mid-job x${kills} (PySpark source)`,
      mode: LONG ? 'long' : 'quick',
      passed,
      acked: v.account?.acknowledged,
      inKafka: v.inKafka,
      lost: v.missing,
      duplicates: v.duplicates,
      maxRssMiB: maxRss / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'Spark jobs run': job.jobs,
        'sidecar down (s)': downFor.map((ms) => (ms / 1000).toFixed(1)).join(', '),
        'spool entries replayed': replayed,
        'resent events answered as duplicates by the restarted sidecar': dedupedResends,
        ...accountFigures(v),
      },
    });
    expect(code, job.describe()).toBe(0);
    expect(v.account, job.describe()).toBeDefined();
    expect(v.account).toMatchObject({ droppedBufferFull: 0, droppedSidecarUnavailable: 0, rejected: 0, notDelivered: 0 });
    expect(v.missing).toBe(0);
    expect(v.duplicates).toBe(0);
    expect(v.inKafka).toBe(v.account!.acknowledged);
    expect(alive).toBe(true);
  });
});
