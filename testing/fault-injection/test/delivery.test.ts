// Scenarios 1-3: the broker stopped mid-stream, the sidecar killed with SIGKILL mid-stream,
// and the spool's disk cap reached while Kafka is down. Real broker, real sidecar process,
// a load generator process that resends unacked batches like the Spark clients. Each ends
// with the count: every acked event in Kafka, none twice, the sidecar alive, memory bounded.
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePayload, EntryReader, recover } from '@sparkwire/spool';
import {
  countInKafka,
  countRecords,
  expectedRecords,
  freePort,
  LONG,
  Loadgen,
  loadgenOptions,
  MiB,
  readAll,
  RSS_BOUND,
  Sidecar,
  sleep,
  waitFor,
  waitForTopic,
} from '../src/harness';
import { brokerPerFile } from './broker-per-file';
import { recordResult } from '../src/report';

const fi = brokerPerFile('delivery');
const { sidecars, loadgens } = fi;

function kafkaArgs(topic: string, extra: string[] = []): string[] {
  return ['--extended', '--kafka-brokers', fi.broker.bootstrap, '--kafka-topic', topic, '--kafka-partitions', '3', '--kafka-connect-timeout-ms', '1000', '--log-level', 'info', ...extra];
}

async function sidecar(opts: ConstructorParameters<typeof Sidecar>[0]): Promise<Sidecar> {
  const s = await Sidecar.start(opts);
  sidecars.push(s);
  return s;
}

const kafkaUp = (s: Sidecar) => s.logs.some((l) => l.includes('"kafka reachable"'));

describe('delivery through faults', () => {
  it('1. broker stopped mid-stream, then restarted: the spool takes the outage, nothing lost, nothing twice', async () => {
    const outageS = LONG ? 30 : 8;
    const rate = 4000;
    const topic = 'fi-broker-outage';
    const s = await sidecar({ args: kafkaArgs(topic, ['--spool-segment-bytes', String(4 * MiB)]), spoolDir: join(fi.dir, 's1-spool') });
    await waitFor('kafka reachable', () => kafkaUp(s));
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's1', dir: fi.dir, rate, total: rate * (outageS + 14) }));
    loadgens.push(lg);
    await waitFor('load flowing', () => lg.ackedCount >= rate * 2, 60_000);
    const t0 = Date.now();
    await fi.broker.stop();
    const stoppedAt = Date.now();
    const ackedAtStop = lg.ackedCount;
    await sleep(outageS * 1000);
    await waitFor('kafka NOT_SERVING', async () => (await s.health('sparkwire.kafka')) === 'NOT_SERVING', 30_000, 250).catch(() => undefined);
    const healthInOutage = `${await s.health('sparkwire.v1.ListenerService')} / ${await s.health('sparkwire.kafka')}`;
    const ackedDuringOutage = lg.ackedCount - ackedAtStop;
    const spoolAtRestart = s.maxSpoolBytes;
    const restartAt = Date.now();
    // Everything acked up to the restart, i.e. what piled up in the spool during the outage.
    const backlog = expectedRecords(lg.ackedEvents());
    await fi.broker.restart();
    const brokerBackMs = Date.now() - restartAt;
    const drainMs = await waitForTopic(fi.broker.bootstrap, topic, backlog);
    const summary = await lg.done;
    const acked = lg.ackedEvents();
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(acked));
    const count = await countInKafka(fi.broker.bootstrap, topic, acked);
    const alive = s.alive;
    const passed = count.lost === 0 && count.duplicates === 0 && count.outOfOrder === 0 && alive && s.maxRssBytes < RSS_BOUND && summary.refusedBatches === 0 && healthInOutage === 'SERVING / NOT_SERVING';
    recordResult({
      id: LONG ? '1-broker-outage-long' : '1-broker-outage',
      title: `1. broker stopped ${outageS} s mid-stream, restarted`,
      mode: LONG ? 'long' : 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'load (events/s)': rate,
        'broker down (s)': (restartAt - stoppedAt) / 1000,
        'events acked while Kafka was down': ackedDuringOutage,
        'health in the outage: ListenerService / sparkwire.kafka': healthInOutage,
        'spool peak (MiB)': spoolAtRestart / MiB,
        'broker restart (s)': brokerBackMs / 1000,
        'outage backlog in Kafka after the restart began (s)': drainMs / 1000,
        'client reconnects': summary.reconnects,
        'records out of order': count.outOfOrder,
        'sidecar alive': alive,
      },
    });
    expect(count.outOfOrder).toBe(0);
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(ackedDuringOutage).toBeGreaterThan(0);
    expect(healthInOutage).toBe('SERVING / NOT_SERVING');
    expect(alive).toBe(true);
    expect(s.maxRssBytes).toBeLessThan(RSS_BOUND);
    await s.stop();
  });

  it('2. sidecar killed with SIGKILL mid-stream, then restarted: replay from the spool, resends deduped, nothing lost, nothing twice', async () => {
    const kills = LONG ? 3 : 1;
    const rate = 4000;
    const topic = 'fi-sidecar-kill';
    const port = await freePort();
    const spoolDir = join(fi.dir, 's2-spool');
    const args = kafkaArgs(topic, ['--spool-segment-bytes', String(2 * MiB)]);
    let s = await sidecar({ args, port, spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(s));
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's2', dir: fi.dir, rate, total: rate * (8 + kills * 6) }));
    loadgens.push(lg);
    const t0 = Date.now();
    let maxRss = 0;
    const restarts: number[] = [];
    let replayedEntries = 0;
    let skipped = 0;
    for (let k = 0; k < kills; k++) {
      const before = lg.ackedCount;
      await waitFor('load flowing', () => lg.ackedCount >= before + rate * 2, 60_000);
      maxRss = Math.max(maxRss, s.maxRssBytes);
      await s.stop('SIGKILL');
      const killedAt = Date.now();
      await sleep(1000);
      s = await sidecar({ args, port, spoolDir });
      restarts.push(Date.now() - killedAt);
      replayedEntries += s.logged('spool: replaying').reduce((n, o) => n + (o.entries ?? 0), 0);
      await waitFor('kafka reachable', () => kafkaUp(s));
    }
    const summary = await lg.done;
    const acked = lg.ackedEvents();
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(acked));
    const readBacks = sidecars.flatMap((x) => x.logged('read back what the last process had already published'));
    const count = await countInKafka(fi.broker.bootstrap, topic, acked);
    maxRss = Math.max(maxRss, s.maxRssBytes);
    const alive = s.alive;
    await s.stop();
    skipped = s.logged('sparkwire sidecar stopped').reduce((n, o) => n + (o.spool?.recovered?.skippedAlreadyPublished ?? 0), 0);
    const passed = count.lost === 0 && count.duplicates === 0 && alive && maxRss < RSS_BOUND;
    recordResult({
      id: LONG ? '2-sidecar-sigkill-long' : '2-sidecar-sigkill',
      title: `2. sidecar SIGKILL mid-stream x${kills}, restarted`,
      mode: LONG ? 'long' : 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: maxRss / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'load (events/s)': rate,
        'kill to listening again (s)': restarts.map((ms) => (ms / 1000).toFixed(2)).join(', '),
        'spool entries replayed': replayedEntries,
        'replayed records found already in Kafka and skipped (last restart)': skipped,
        'batches resent by the client': summary.resentBatches,
        'client reconnects': summary.reconnects,
        'read-back of the topic after the restart (s)': readBacks.map((o) => (o.ms / 1000).toFixed(1)).join(', ') || 'none needed',
        'records out of order': count.outOfOrder,
      },
    });
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(alive).toBe(true);
    expect(maxRss).toBeLessThan(RSS_BOUND);
  });

  it('2b. power loss: a damaged entry and a torn tail in the spool are found by CRC, reported and skipped, the rest delivered, no crash loop', async () => {
    const topic = 'fi-corrupt';
    const port = await freePort();
    const spoolDir = join(fi.dir, 's2b-spool');
    const args = kafkaArgs(topic, ['--spool-segment-bytes', String(1 * MiB)]);
    const s = await sidecar({ args, port, spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(s));
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's2b', dir: fi.dir, rate: 4000, total: 4000 * 30 }));
    loadgens.push(lg);
    const t0 = Date.now();
    await waitFor('load flowing', () => lg.ackedCount >= 8000, 60_000);
    // Kafka goes away, the spool fills with entries not yet published; then the power goes.
    await fi.broker.stop();
    await sleep(2500);
    await s.stop('SIGKILL');
    lg.proc.kill('SIGTERM');
    await lg.done.catch(() => undefined);
    const acked = lg.ackedEvents();

    // Find the unpublished entries as they are on disk (on a copy: recovery may cut a torn tail).
    const copy = join(fi.dir, 's2b-copy');
    cpSync(spoolDir, copy, { recursive: true });
    const rec = await recover(copy, { idWindow: 0 });
    const entries: Array<{ segment: string; offset: number; size: number; seq: number; ids: string[] }> = [];
    for (const seg of rec.segments) {
      const fh = await open(seg.path, 'r');
      const reader = new EntryReader(fh, seg.dataStart, seg.size, () => undefined);
      for (let e = await reader.next(); e; e = await reader.next()) {
        if (e.seq >= rec.position.seq) entries.push({ segment: seg.name, offset: e.offset, size: e.size, seq: e.seq, ids: decodePayload(e.payload).eventIds });
      }
      await fh.close();
    }
    // Damage: one bit flipped inside an entry in the middle of the tail; the newest entry torn.
    const victim = entries[Math.floor(entries.length / 2)];
    const torn = entries[entries.length - 1];
    const victimFile = join(spoolDir, victim.segment);
    const buf = readFileSync(victimFile);
    buf[victim.offset + 48] ^= 0x10;
    writeFileSync(victimFile, buf);
    truncateSync(join(spoolDir, torn.segment), torn.offset + Math.floor(torn.size / 2));
    const damagedIds = new Set([...victim.ids, ...torn.ids]);

    await fi.broker.restart();
    const restarted = await sidecar({ args, port, spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(restarted));
    const reports = restarted.logged('spool: damaged data found and skipped');
    const expected = acked.filter((e) => !damagedIds.has(e.eventId));
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(expected), 120_000);
    await sleep(1000);
    const records = await readAll(fi.broker.bootstrap, topic, expectedRecords(expected));
    const count = countRecords(records, expected.map((e) => e.eventId));
    const damagedInKafka = records.filter((r) => damagedIds.has(JSON.parse(r.value.toString()).eventId)).length;
    const aliveAfterFirst = restarted.alive;
    // Restarting once more: no crash loop, and nothing left to report (published segments are gone, the torn tail was cut).
    await restarted.stop();
    const again = await sidecar({ args, port, spoolDir });
    await sleep(1500);
    const reportsAgain = again.logged('spool: damaged data found and skipped').length;
    const aliveAgain = again.alive;
    await again.stop();
    const reasons = reports.map((r) => `${r.reason} (${r.action}, ${r.length} bytes)`);
    const passed = count.lost === 0 && count.duplicates === 0 && damagedInKafka === 0 && reports.length === 2 && aliveAfterFirst && aliveAgain;
    recordResult({
      id: '2b-spool-damage',
      title: '2b. power loss: damaged entry and torn tail in the spool',
      mode: 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: Math.max(s.maxRssBytes, restarted.maxRssBytes) / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'unpublished entries in the spool at the crash': entries.length,
        'events in the two damaged entries (acked, then lost to the damage; not counted above)': damagedIds.size,
        'damage reported at restart': reasons.join('; '),
        'records of damaged entries in Kafka': damagedInKafka,
        'reports at the next restart': reportsAgain,
        'sidecar up after each restart': aliveAfterFirst && aliveAgain,
      },
    });
    expect(reports).toHaveLength(2);
    // The mid-file damage is skipped; the torn tail is cut off (or, when it was the file's only entry, the file dropped).
    expect(reports.find((r) => r.reason === 'CRC mismatch')?.action).toBe('skipped');
    expect(['truncated', 'dropped']).toContain(reports.find((r) => r.reason !== 'CRC mismatch')?.action);
    expect(damagedInKafka).toBe(0);
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(aliveAfterFirst && aliveAgain).toBe(true);
    expect(reportsAgain).toBe(0);
  });

  it('3. disk cap reached while Kafka is down: UNAVAILABLE at the cap, clients keep their batches, all delivered in order once Kafka is back', async () => {
    const rate = 4000;
    const topic = 'fi-disk-cap';
    const cap = 8 * MiB;
    const spoolDir = join(fi.dir, 's3-spool');
    const s = await sidecar({ args: kafkaArgs(topic, ['--spool-max-bytes', String(cap), '--spool-segment-bytes', String(cap / 8)]), spoolDir });
    await waitFor('kafka reachable', () => kafkaUp(s));
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's3', dir: fi.dir, rate, total: rate * 20, buffer: 100_000 }));
    loadgens.push(lg);
    const t0 = Date.now();
    await waitFor('load flowing', () => lg.ackedCount >= rate, 60_000);
    await fi.broker.stop();
    // Until the spool is at its cap: clients then hear UNAVAILABLE and hold their batches.
    const toCapMs = await waitFor('spool full', () => s.logs.some((l) => l.includes('spool full: refusing')), 120_000);
    await sleep(3000);
    // sparkwire.kafka turns NOT_SERVING once the Kafka client gives up its retries (a few seconds).
    await waitFor('kafka NOT_SERVING', async () => (await s.health('sparkwire.kafka')) === 'NOT_SERVING', 60_000, 250).catch(() => undefined);
    const healthAtCap = `${await s.health('sparkwire.v1.ListenerService')} / ${await s.health('sparkwire.kafka')}`;
    const refusedWhileFull = lg.last?.errors?.UNAVAILABLE ?? 0;
    const spoolPeak = s.maxSpoolBytes;
    const restartAt = Date.now();
    const backlog = expectedRecords(lg.ackedEvents());
    await fi.broker.restart();
    await waitForTopic(fi.broker.bootstrap, topic, backlog);
    const drainMs = Date.now() - restartAt;
    const summary = await lg.done;
    const acked = lg.ackedEvents();
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(acked));
    const count = await countInKafka(fi.broker.bootstrap, topic, acked);
    const alive = s.alive;
    // The cap holds to within one batch (appends already admitted when it was reached).
    const capHeld = spoolPeak <= cap + 2 * MiB;
    const passed = count.lost === 0 && count.duplicates === 0 && alive && capHeld && refusedWhileFull > 0 && summary.ackedEvents === summary.generatedEvents && healthAtCap === 'NOT_SERVING / NOT_SERVING';
    recordResult({
      id: '3-disk-cap',
      title: '3. spool cap reached while Kafka is down',
      mode: 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'spool.maxBytes (MiB)': cap / MiB,
        'spool peak on disk (MiB)': spoolPeak / MiB,
        'cap reached after (s)': toCapMs / 1000,
        'streams ended with UNAVAILABLE at the cap': refusedWhileFull,
        'health at the cap: ListenerService / sparkwire.kafka': healthAtCap,
        'events the client generated / acked in the end': `${summary.generatedEvents} / ${summary.ackedEvents}`,
        'spooled backlog in Kafka after the restart began (s)': drainMs / 1000,
        'records out of order': count.outOfOrder,
      },
    });
    expect(count.outOfOrder).toBe(0);
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(refusedWhileFull).toBeGreaterThan(0);
    expect(capHeld).toBe(true);
    expect(healthAtCap).toBe('NOT_SERVING / NOT_SERVING');
    expect(summary.ackedEvents).toBe(summary.generatedEvents);
    expect(alive).toBe(true);
    await s.stop();
  });
});
