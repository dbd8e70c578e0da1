// Scenario 8: a reused batch_seq with new ids. A client restarted with a stable client_id
// numbers its batches from 1 again, with new event ids: those batches are new, and an ack
// must never cover events that were not published. Real broker, real sidecar process, the
// load generator twice under one client_id; then batches under reused numbers that mix
// already published ids with new ones, their resends, and batch_seq values above 2^53.
// Ends with the count by event id: every acked event in Kafka, none twice.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ListenerClient } from '@sparkwire/testkit';
import type { PublishAck, SparkEvent } from '@sparkwire/proto';
import { batchEvents, templateEvents } from '../src/loadgen';
import { countInKafka, expectedRecords, Loadgen, loadgenOptions, MiB, RSS_BOUND, Sidecar, waitFor, waitForTopic } from '../src/harness';
import { brokerPerFile } from './broker-per-file';
import { recordResult } from '../src/report';

const fi = brokerPerFile('reused-seq');
const { sidecars, loadgens } = fi;

describe('reused batch_seq', () => {
  it('8. reused batch_seq with new ids: published, partial duplicates publish exactly the new ids, 0 acked events missing', async () => {
    const t0 = Date.now();
    const topic = 'fi-reused-seq';
    const s = await Sidecar.start({
      args: ['--extended', '--kafka-brokers', fi.broker.bootstrap, '--kafka-topic', topic, '--kafka-partitions', '3', '--kafka-connect-timeout-ms', '1000', '--log-level', 'info'],
      spoolDir: join(fi.dir, 's8-spool'),
    });
    sidecars.push(s);
    await waitFor('kafka reachable', () => s.logs.some((l) => l.includes('"kafka reachable"')));

    // Two runs of one client: same client_id, batch_seq 1..N both times, new event ids the second time.
    const clientId = 'fi-reused-client';
    const appId = 'app-s8';
    const total = 20_000;
    const batchSize = 100;
    const runs: Loadgen[] = [];
    for (const name of ['s8-run1', 's8-run2']) {
      const lg = new Loadgen(loadgenOptions({ address: s.address, name, dir: fi.dir, clientId, appId, rate: 4000, batchSize, total }));
      loadgens.push(lg);
      runs.push(lg);
      await lg.done;
    }
    const [run1, run2] = runs;
    const run1Events = run1.ackedEvents();
    const run2Events = run2.ackedEvents();
    const summaries = await Promise.all(runs.map((r) => r.done));

    // Reused numbers again, each batch half ids run 1 published and half new ids; then each
    // batch resent as is; then batch_seq values above 2^53 (2^53 and 2^53 + 1 are one double).
    const template = templateEvents(appId);
    const mixPrefix = `s8-mix-${Date.now().toString(36)}`;
    const bigPrefix = `s8-big-${Date.now().toString(36)}`;
    const client = new ListenerClient(s.address);
    const stream = client.openStream();
    const mixed: { sent: SparkEvent[]; fresh: SparkEvent[]; ack: PublishAck; resend: PublishAck }[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      const old = batchEvents({ prefix: run1.opts.prefix, appId, batchSize }, seq, template).slice(0, 50);
      const fresh = batchEvents({ prefix: mixPrefix, appId, batchSize: 50 }, seq, template);
      const sent = old.flatMap((e, i) => [e, fresh[i]]);
      const req = { clientId, batchSeq: BigInt(seq), events: sent, clientStats: undefined };
      const ack = await stream.send(req);
      const resend = await stream.send(req);
      mixed.push({ sent, fresh, ack, resend });
    }
    const big: { seq: bigint; events: SparkEvent[]; ack: PublishAck }[] = [];
    for (const [i, seq] of [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n].entries()) {
      const events = batchEvents({ prefix: bigPrefix, appId, batchSize }, i + 1, template);
      big.push({ seq, events, ack: await stream.send({ clientId, batchSeq: seq, events, clientStats: undefined }) });
    }
    const bigResend = await stream.send({ clientId, batchSeq: 2n ** 53n + 1n, events: big[1].events, clientStats: undefined });
    await stream.end();
    client.close();

    const mixedFresh = mixed.flatMap((m) => m.fresh);
    const acked = [...run1Events, ...run2Events, ...mixedFresh, ...big.flatMap((b) => b.events)];
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(acked));
    const count = await countInKafka(fi.broker.bootstrap, topic, acked);
    const run2Ids = new Set(run2Events.map((e) => e.eventId));
    const reusedMetric = await s.metric('sparkwire_batches_reused_seq_total');
    const mixedOk = mixed.every((m) => m.ack.errorCode === 0 && m.ack.accepted === 50 && m.ack.duplicates === 50 && m.resend.duplicates === 100);
    const bigOk = big.every((b) => b.ack.batchSeq === b.seq && b.ack.errorCode === 0 && b.ack.accepted === batchSize) && bigResend.batchSeq === 2n ** 53n + 1n && bigResend.duplicates === batchSize;
    const run2Missing = count.lostIds.filter((id) => run2Ids.has(id)).length;
    const alive = s.alive;
    const passed =
      count.lost === 0 && count.duplicates === 0 && count.outOfOrder === 0 && mixedOk && bigOk && alive && s.maxRssBytes < RSS_BOUND &&
      summaries.every((x) => x.refusedBatches === 0) && run2Events.length === total && reusedMetric === total / batchSize + mixed.length;
    recordResult({
      id: '8-reused-seq',
      title: '8. reused batch_seq with new ids',
      mode: 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'runs of one client_id numbering batch_seq from 1 (batches each)': `2 x ${total / batchSize}`,
        'events acked in the second run / of them missing from Kafka': `${run2Events.length} / ${run2Missing}`,
        'batches under a reused batch_seq mixing 50 published ids with 50 new ones (acked accepted / duplicates each)': `${mixed.length} (${mixed[0].ack.accepted} / ${mixed[0].ack.duplicates})`,
        'their resends answered as duplicates': mixed.filter((m) => m.resend.duplicates === 100).length,
        'batches with batch_seq 2^53, 2^53 + 1, 2^64 - 1 acked with their exact batch_seq': big.filter((b) => b.ack.batchSeq === b.seq).length,
        sparkwire_batches_reused_seq_total: reusedMetric ?? -1,
        'acked events missing from Kafka by event id': count.lost,
        'records out of order': count.outOfOrder,
        'sidecar alive': alive,
      },
    });
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(count.outOfOrder).toBe(0);
    expect(run2Events).toHaveLength(total);
    expect(mixed.map((m) => [m.ack.errorCode, m.ack.accepted, m.ack.duplicates, m.resend.duplicates])).toEqual(mixed.map(() => [0, 50, 50, 100]));
    expect(big.map((b) => [b.ack.batchSeq, b.ack.errorCode, b.ack.accepted])).toEqual(big.map((b) => [b.seq, 0, batchSize]));
    expect([bigResend.batchSeq, bigResend.duplicates]).toEqual([2n ** 53n + 1n, batchSize]);
    expect(reusedMetric).toBe(total / batchSize + mixed.length);
    expect(summaries.map((x) => x.refusedBatches)).toEqual([0, 0]);
    expect(alive).toBe(true);
    expect(s.maxRssBytes).toBeLessThan(RSS_BOUND);
    expect(passed).toBe(true);
  });
});
