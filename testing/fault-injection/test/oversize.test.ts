// Scenarios 10a-10c: no record can wedge delivery. A 1.4 MB event (truncated, or refused
// before its ack), records between 400 KB and the broker's limit spooled across a broker
// outage, and a record Kafka refuses after it was acked (the topic's max.message.bytes
// lowered while the sidecar runs): set aside in the dead-letter store while the records
// behind it are delivered, then re-driven with the CLI after the limit was raised. Real
// broker, real sidecar process, a load generator beside the large events. Each ends with the
// count: every acked event in Kafka or in the dead-letter store, by event id.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { ListenerServiceClient, type PublishResponse, type SparkEvent } from '@sparkwire/proto';
import { DeadLetterStore } from '@sparkwire/spool';
import { templateEvents } from '../src/loadgen';
import { cleanup, countRecords, expectedRecords, Loadgen, loadgenOptions, MiB, readAll, ROOT, RSS_BOUND, Sidecar, sleep, tempDir, waitFor, waitForTopic } from '../src/harness';
import { recordResult } from '../src/report';

const run = promisify(execFile);
const BIN = join(ROOT, 'apps/sidecar/bin/sparkwire.js');
/** Kafka's default max.message.bytes less the batch header (61) and record framing (32): the largest record the sidecar lets through. */
const MAX_RECORD = 1_048_588 - 61 - 32;

let broker: Broker;
let dir: string;
let admin: kafkajs.Admin;
const sidecars: Sidecar[] = [];
const loadgens: Loadgen[] = [];
const clients: Direct[] = [];

beforeAll(async () => {
  dir = tempDir('oversize');
  broker = await startBroker({ dataDir: join(dir, 'kafka'), numPartitions: 3 });
  admin = new kafkajs.Kafka({ brokers: [broker.bootstrap], clientId: 'fi-admin', logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const l of loadgens) l.proc.kill('SIGKILL');
  for (const s of sidecars) await s.stop('SIGKILL');
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
  cleanup(dir);
});

function kafkaArgs(topic: string, extra: string[] = []): string[] {
  return ['--extended', '--kafka-brokers', broker.bootstrap, '--kafka-topic', topic, '--kafka-partitions', '3', '--kafka-connect-timeout-ms', '1000', '--log-level', 'info', ...extra];
}

async function sidecar(opts: ConstructorParameters<typeof Sidecar>[0]): Promise<Sidecar> {
  const s = await Sidecar.start(opts);
  sidecars.push(s);
  return s;
}
const kafkaUp = (s: Sidecar) => s.logs.some((l) => l.includes('"kafka reachable"'));

/** A client that publishes hand-made batches with Publish (unary) and reports the status. */
class Direct {
  private readonly client: ListenerServiceClient;
  private seq = 0;
  /** Event ids of batches answered OK. */
  readonly acked: string[] = [];
  readonly ackedEvents: SparkEvent[] = [];
  constructor(
    address: string,
    private readonly clientId: string,
  ) {
    this.client = new ListenerServiceClient(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * MiB });
    clients.push(this);
  }
  publish(events: SparkEvent[]): Promise<{ code: number; details: string }> {
    const req = { clientId: this.clientId, batchSeq: BigInt(++this.seq), events, clientStats: undefined };
    return new Promise((resolve) =>
      this.client.publish(req as never, (err: grpc.ServiceError | null, _res?: PublishResponse) => {
        if (err) return resolve({ code: err.code, details: err.details });
        this.acked.push(...events.map((e) => e.eventId));
        this.ackedEvents.push(...events);
        resolve({ code: 0, details: '' });
      }),
    );
  }
  close(): void {
    this.client.close();
  }
}

const template = templateEvents('app-oversize');
const kindOf = (kind: string, pick: (e: SparkEvent) => boolean = () => true) => template.find((e) => e.body?.$case === kind && pick(e))!;
function event(kind: string, id: string, patch: Record<string, unknown> = {}, pick?: (e: SparkEvent) => boolean): SparkEvent {
  const t = kindOf(kind, pick);
  const body = t.body as unknown as { $case: string; value: Record<string, unknown> };
  return { ...t, eventId: id, appId: 'app-oversize', body: { $case: body.$case, value: { ...body.value, ...patch } } as unknown as SparkEvent['body'] };
}
/** Text of exactly `bytes` UTF-8 bytes, of `ch` (1 to 3 bytes each). */
const text = (bytes: number, ch = 'x') => ch.repeat(Math.floor(bytes / Buffer.byteLength(ch))) + 'x'.repeat(bytes % Buffer.byteLength(ch));
const planText = (bytes: number) => text(bytes, '+- Filter (isnotnull(a#1) AND (a#1 > 0))\n   ');

interface Found {
  records: Array<{ key: string | null; value: Buffer; partition: number }>;
  byId: Map<string, Array<Record<string, unknown>>>;
}
async function readTopic(topic: string, minRecords: number): Promise<Found> {
  await waitForTopic(broker.bootstrap, topic, minRecords, 120_000);
  const records = await readAll(broker.bootstrap, topic, minRecords);
  const byId = new Map<string, Array<Record<string, unknown>>>();
  for (const r of records) {
    const o = JSON.parse(r.value.toString()) as Record<string, unknown>;
    const id = o.eventId as string;
    byId.set(id, [...(byId.get(id) ?? []), o]);
  }
  return { records, byId };
}

const setTopicLimit = (topic: string, bytes: number) =>
  admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }] });

/** Sum of a metric's samples over all label sets. */
function sumMetric(text: string, name: string): number {
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm'))) n += Number(m[1]);
  return n;
}

/** Acked ids in neither Kafka nor the dead-letter store. */
function missing(acked: string[], inKafka: Map<string, unknown>, deadLettered: Set<string>): string[] {
  return acked.filter((id) => !inKafka.has(id) && !deadLettered.has(id));
}

describe('no record can wedge delivery', () => {
  it('10a. a 1.4 MB event: truncated (free text) or refused before its ack; every event after it delivered', async () => {
    const topic = 'fi-oversize-event';
    const spoolDir = join(dir, 's10a-spool');
    const s = await sidecar({ args: kafkaArgs(topic), spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(s));
    const t0 = Date.now();
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's8a', dir, rate: 2000, total: 2000 * 12 }));
    loadgens.push(lg);
    await waitFor('load flowing', () => lg.ackedCount >= 4000, 60_000);
    const direct = new Direct(s.address, 's8a-direct');
    const p = 's8a-x';
    // A SQL execution with a 1.4 MB plan description, a task failure with a 1.4 MB stack trace,
    // small events around them: all acked, the large fields truncated.
    const sqlPlan = planText(1_400_000);
    const trace = text(1_400_000, '\tat org.apache.spark.sql.execution.SparkPlan.execute(SparkPlan.scala:195) — ünïcödé\n');
    const truncatedBatch = [
      event('jobStart', `${p}-1`),
      event('sqlExecutionStart', `${p}-2`, { description: sqlPlan, details: 'plan details' }),
      event('taskEnd', `${p}-3`, { reason: 'ExceptionFailure', reasonMessage: trace }, (e) => e.body?.$case === 'taskEnd' && !!e.body.value.metrics),
      event('jobEnd', `${p}-4`),
    ];
    const truncatedAck = await direct.publish(truncatedBatch);
    // An event with no free text to cut (1.4 MB of sparkConfigs): refused before the ack, naming it.
    const configs: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) configs[`spark.custom.setting${i}`] = 'v'.repeat(48);
    const refusedBatch = [event('jobStart', `${p}-5`), event('applicationEnd', `${p}-6`, { sparkConfigs: configs })];
    const refused = await direct.publish(refusedBatch);
    const healthAfter = await s.health('sparkwire.kafka');
    const after = [event('jobStart', `${p}-7`), event('jobEnd', `${p}-8`)];
    const afterAck = await direct.publish(after);
    const summary = await lg.done;
    const truncatedMetric = sumMetric(await s.metrics(), 'sparkwire_events_truncated_total');

    // The same 1.4 MB SQL event with kafka.oversizeEvents=refuse: INVALID_ARGUMENT, and the next batch goes through.
    await s.stop();
    const s2 = await sidecar({ args: kafkaArgs(topic, ['--kafka-oversize-events', 'refuse']), spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(s2));
    const direct2 = new Direct(s2.address, 's8a-direct-2');
    const refusedStrict = await direct2.publish([event('jobStart', `${p}-9`), event('sqlExecutionStart', `${p}-10`, { description: sqlPlan })]);
    const afterStrict = await direct2.publish([event('jobStart', `${p}-11`), event('jobEnd', `${p}-12`)]);
    const oversizeMetric = (await s2.metric('sparkwire_events_oversize_total')) ?? 0;

    const ackedEvents = [...lg.ackedEvents(), ...direct.ackedEvents, ...direct2.ackedEvents];
    const acked = ackedEvents.map((e) => e.eventId);
    const found = await readTopic(topic, expectedRecords(ackedEvents));
    const dl = new Set((await new DeadLetterStore(spoolDir).list()).map((e) => e.eventId ?? ''));
    const lost = missing(acked, found.byId, dl);
    const count = countRecords(found.records, acked);
    const refusedInKafka = [`${p}-5`, `${p}-6`, `${p}-9`, `${p}-10`].filter((id) => found.byId.has(id)).length;
    const sql = found.byId.get(`${p}-2`)?.[0];
    const task = found.byId.get(`${p}-3`)?.find((o) => o.name === 'task_metrics');
    const sqlDesc = String(sql?.description ?? '');
    const taskMsg = String(task?.endReasonMessage ?? '');
    const sizeOf = (o?: Record<string, unknown>) => (o ? Buffer.byteLength(JSON.stringify(o)) : 0);
    const truncatedOk = /\[\.\.\. truncated by sparkwire: kept \d+ of 1400000 bytes\]$/.test(sqlDesc) && sqlPlan.startsWith(sqlDesc.slice(0, sqlDesc.indexOf('\n[...'))) && /truncated by sparkwire/.test(taskMsg) && sizeOf(sql) <= MAX_RECORD && sizeOf(task) <= MAX_RECORD;
    const truncatedCount = s.logged('sparkwire sidecar stopped')[0]?.stats?.truncated ?? {};
    const alive = s2.alive;
    await s2.stop();
    const passed =
      truncatedAck.code === 0 && refused.code === grpc.status.INVALID_ARGUMENT && afterAck.code === 0 && refusedStrict.code === grpc.status.INVALID_ARGUMENT && afterStrict.code === 0 && lost.length === 0 && count.duplicates === 0 && refusedInKafka === 0 && truncatedOk && healthAfter === 'SERVING' && dl.size === 0 && alive && s.maxRssBytes < RSS_BOUND;
    recordResult({
      id: '10a-oversize-event',
      title: '10a. a 1.4 MB event (SQL plan, task stack trace; sparkConfigs): truncated or refused before the ack',
      mode: 'quick',
      passed,
      acked: acked.length,
      inKafka: acked.length - acked.filter((id) => !found.byId.has(id)).length,
      lost: lost.length,
      duplicates: count.duplicates,
      maxRssMiB: Math.max(s.maxRssBytes, s2.maxRssBytes) / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'batch with a 1.4 MB SQL description and a 1.4 MB task stack trace': truncatedAck.code === 0 ? 'OK (acked)' : `status ${truncatedAck.code}`,
        'their records in Kafka (bytes, limit 1,048,495)': `${sizeOf(sql).toLocaleString('en-US')} / ${sizeOf(task).toLocaleString('en-US')}`,
        'truncated fields (sidecar counter)': Object.entries(truncatedCount).map(([k, v]) => `${k} ${v}`).join(', '),
        sparkwire_events_truncated_total: truncatedMetric,
        'batch with 1.4 MB of sparkConfigs': `${grpc.status[refused.code]} "${refused.details.slice(0, 120)}..."`,
        'same SQL event with kafka.oversizeEvents=refuse': `${grpc.status[refusedStrict.code]} (${refusedStrict.details.slice(0, 60)}...)`,
        'sparkwire_events_oversize_total (refuse run)': oversizeMetric,
        'batches after the large events': `${afterAck.code === 0 && afterStrict.code === 0 ? 'OK' : 'FAILED'}`,
        'sparkwire.kafka health after': healthAfter,
        'records of refused batches in Kafka': refusedInKafka,
        'load generator events acked / in Kafka': `${summary.ackedEvents} / ${lg.ackedEvents().filter((e) => found.byId.has(e.eventId)).length}`,
      },
    });
    expect(truncatedAck.code).toBe(0);
    expect(refused.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(refused.details).toMatch(/^events\[1\]: encoded as a record of \d+ bytes for topic fi-oversize-event, over the largest record Kafka accepts there \(1048495 bytes/);
    expect(refusedStrict.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(refusedStrict.details).toMatch(/^events\[1\]: /);
    expect(afterAck.code).toBe(0);
    expect(afterStrict.code).toBe(0);
    expect(truncatedOk).toBe(true);
    expect(truncatedCount).toMatchObject({ 'sqlExecutionStart:description': 1, 'taskEnd:reason_message': 1 });
    expect(truncatedMetric).toBe(2);
    expect(oversizeMetric).toBe(1);
    expect(healthAfter).toBe('SERVING');
    expect(refusedInKafka).toBe(0);
    expect(lost, `lost: ${lost.slice(0, 10).join(', ')}`).toEqual([]);
    expect(count.duplicates).toBe(0);
    expect(dl.size).toBe(0);
  });

  it('10b. records between 400 KB and the broker limit, spooled across a broker outage: all delivered after it returns', async () => {
    const topic = 'fi-large-records-outage';
    const spoolDir = join(dir, 's10b-spool');
    const s = await sidecar({ args: kafkaArgs(topic), spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(s));
    const t0 = Date.now();
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's8b', dir, rate: 1000, total: 1000 * 20 }));
    loadgens.push(lg);
    await waitFor('load flowing', () => lg.ackedCount >= 2000, 60_000);
    const direct = new Direct(s.address, 's8b-direct');
    await broker.stop();
    const stoppedAt = Date.now();
    // 8 batches of 3 SQL executions with descriptions of 400 KB to 1,040,000 bytes, ASCII and 2- and 3-byte characters.
    const chars = ['x', 'é', '€'];
    const sizes: number[] = [];
    const descs = new Map<string, string>();
    let k = 0;
    const statuses: number[] = [];
    for (let b = 0; b < 8; b++) {
      const events: SparkEvent[] = [];
      for (let i = 0; i < 3; i++) {
        const bytes = 400_000 + Math.round(((k % 12) / 11) * 640_000);
        const id = `s8b-x-${++k}`;
        const d = text(bytes, chars[k % 3]);
        sizes.push(bytes);
        descs.set(id, d);
        events.push(event('sqlExecutionStart', id, { description: d }));
      }
      statuses.push((await direct.publish(events)).code);
    }
    await sleep(Math.max(0, 8000 - (Date.now() - stoppedAt)));
    const health = await s.health('sparkwire.kafka');
    // Everything acked up to the restart: the outage backlog, large records included.
    const backlog = expectedRecords([...lg.ackedEvents(), ...direct.ackedEvents]);
    const restartAt = Date.now();
    await broker.restart();
    const brokerBackMs = Date.now() - restartAt;
    const drainMs = await waitForTopic(broker.bootstrap, topic, backlog, 120_000);
    const summary = await lg.done;
    const ackedEvents = [...lg.ackedEvents(), ...direct.ackedEvents];
    const acked = ackedEvents.map((e) => e.eventId);
    const found = await readTopic(topic, expectedRecords(ackedEvents));
    const dl = new Set((await new DeadLetterStore(spoolDir).list()).map((e) => e.eventId ?? ''));
    const lost = missing(acked, found.byId, dl);
    const count = countRecords(found.records, acked);
    const intact = [...descs].filter(([id, d]) => found.byId.get(id)?.[0]?.description === d).length;
    const largest = Math.max(...[...descs.keys()].map((id) => Buffer.byteLength(JSON.stringify(found.byId.get(id)?.[0] ?? {}))));
    const alive = s.alive;
    const failures = (await s.metric('sparkwire_spool_publish_failures_total')) ?? 0;
    await s.stop();
    const passed = statuses.every((c) => c === 0) && lost.length === 0 && count.duplicates === 0 && intact === descs.size && dl.size === 0 && alive && s.maxRssBytes < RSS_BOUND;
    recordResult({
      id: '10b-large-records-outage',
      title: '10b. records of 400 KB to 1 MB spooled across a broker outage',
      mode: 'quick',
      passed,
      acked: acked.length,
      inKafka: acked.length - acked.filter((id) => !found.byId.has(id)).length,
      lost: lost.length,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'large records acked during the outage': `${descs.size} of ${(Math.min(...sizes) / 1000).toFixed(0)} KB to ${(Math.max(...sizes) / 1000).toFixed(0)} KB (ASCII, 2- and 3-byte characters)`,
        'largest record in Kafka (bytes)': largest,
        'broker down (s)': (restartAt - stoppedAt) / 1000,
        'sparkwire.kafka health in the outage': health,
        'broker restart (s)': brokerBackMs / 1000,
        'outage backlog in Kafka after the restart began (s)': drainMs / 1000,
        'large records delivered intact (not truncated)': `${intact} of ${descs.size}`,
        'dead-lettered': dl.size,
        'spool publish failures (the outage)': failures,
        'load generator events acked': summary.ackedEvents,
        'records out of order': count.outOfOrder,
      },
    });
    expect(statuses.every((c) => c === 0)).toBe(true);
    expect(lost, `lost: ${lost.slice(0, 10).join(', ')}`).toEqual([]);
    expect(count.duplicates).toBe(0);
    expect(count.outOfOrder).toBe(0);
    expect(intact).toBe(descs.size);
    expect(dl.size).toBe(0);
    expect(alive).toBe(true);
  });

  it('10c. a record Kafka refuses after its ack (topic limit lowered): dead-letter store, the records behind it delivered; re-drive after raising the limit', async () => {
    const topic = 'fi-dead-letter';
    const spoolDir = join(dir, 's10c-spool');
    // The sidecar re-reads limits every 10 min here, so it learns the lowered limit only from the broker's refusal.
    const args = kafkaArgs(topic, ['--kafka-limits-refresh-ms', '600000']);
    const s = await sidecar({ args, spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(s));
    const t0 = Date.now();
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's8c', dir, rate: 1000, total: 1000 * 20 }));
    loadgens.push(lg);
    await waitFor('load flowing', () => lg.ackedCount >= 2000, 60_000);
    const direct = new Direct(s.address, 's8c-direct');
    await setTopicLimit(topic, 200_000);
    const big = event('sqlExecutionStart', 's8c-x-2', { description: planText(500_000) });
    const tAck = Date.now();
    const ack = await direct.publish([event('jobStart', 's8c-x-1'), big, event('jobEnd', 's8c-x-3')]);
    const store = new DeadLetterStore(spoolDir);
    await waitFor('dead-lettered', async () => (await store.list()).length > 0, 60_000, 100);
    const deadLetterMs = Date.now() - tAck;
    const countAtDl = lg.ackedCount;
    // The records behind it keep flowing.
    await waitFor('load still flowing', () => lg.ackedCount >= countAtDl + 2000, 60_000);
    const health = await s.health('sparkwire.kafka');
    const dlMetric = (await s.metric('sparkwire_spool_dead_letter_records_total')) ?? 0;
    const summary = await lg.done;
    const ackedEvents = [...lg.ackedEvents(), ...direct.ackedEvents];
    const acked = ackedEvents.map((e) => e.eventId);
    const inKafkaExpected = ackedEvents.filter((e) => e.eventId !== big.eventId);
    let found = await readTopic(topic, expectedRecords(inKafkaExpected));
    const listed = await run(process.execPath, [BIN, 'dead-letter', 'list', '--json', '--spool-dir', spoolDir]);
    const entries = listed.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; eventId?: string; error: { reason: string }; bytes: number });
    const dl = new Set(entries.map((e) => e.eventId ?? ''));
    const lostBefore = missing(acked, found.byId, dl);
    const countBefore = countRecords(found.records, acked.filter((id) => id !== big.eventId));

    // The operator raises the limit and re-drives.
    await setTopicLimit(topic, 2_000_000);
    const redrive = await run(process.execPath, [BIN, 'dead-letter', 'redrive', '--spool-dir', spoolDir, '--kafka-brokers', broker.bootstrap, '--kafka-topic', topic]).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
    );
    const left = await store.list();
    found = await readTopic(topic, expectedRecords(ackedEvents));
    const lostAfter = acked.filter((id) => !found.byId.has(id));
    const count = countRecords(found.records, acked);
    const redriven = found.byId.get(big.eventId)?.[0];
    const alive = s.alive;
    await s.stop();
    const passed =
      ack.code === 0 && entries.length === 1 && entries[0].eventId === big.eventId && lostBefore.length === 0 && countBefore.duplicates === 0 && health === 'SERVING' && redrive.code === 0 && left.length === 0 && lostAfter.length === 0 && count.duplicates === 0 && redriven?.description === (big.body as { value: { description: string } }).value.description && alive;
    recordResult({
      id: '10c-dead-letter',
      title: '10c. a record Kafka refuses after its ack: dead-letter store, re-drive',
      mode: 'quick',
      passed,
      acked: acked.length,
      inKafka: acked.length - lostAfter.length,
      lost: lostAfter.length,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        "topic's max.message.bytes lowered to (while the sidecar ran)": 200_000,
        'batch with a 500 KB SQL description': ack.code === 0 ? 'OK (acked)' : `status ${ack.code}`,
        'ack to the dead-letter store (s)': deadLetterMs / 1000,
        'dead-letter entries (reason)': entries.map((e) => `${e.id} ${e.error.reason} ${e.bytes} bytes`).join(', '),
        'acked events in neither Kafka nor the dead-letter store': lostBefore.length,
        'load generator events acked after the refusal': summary.ackedEvents - countAtDl,
        'sparkwire.kafka health after the refusal': health,
        sparkwire_spool_dead_letter_records_total: dlMetric,
        're-drive after raising the limit to 2,000,000': `exit ${redrive.code}: ${redrive.out.trim().split('\n').pop()?.replace(/; left in .*$/, '')}`,
        'left in the dead-letter store': left.length,
      },
    });
    expect(ack.code).toBe(0);
    expect(entries.map((e) => e.eventId)).toEqual([big.eventId]);
    expect(['MESSAGE_TOO_LARGE', 'RECORD_TOO_LARGE']).toContain(entries[0].error.reason);
    expect(lostBefore, `lost: ${lostBefore.slice(0, 10).join(', ')}`).toEqual([]);
    expect(health).toBe('SERVING');
    expect(dlMetric).toBe(1);
    expect(redrive.code, redrive.out).toBe(0);
    expect(left).toEqual([]);
    expect(lostAfter).toEqual([]);
    expect(count.duplicates).toBe(0);
    expect(redriven?.description).toBe((big.body as { value: { description: string } }).value.description);
  });
});
