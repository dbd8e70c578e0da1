// Scenarios 4-6: clients that disconnect mid-batch or never read their acks, 10,000
// malformed frames, idle and slow streams holding connections. A well-behaved load
// generator runs alongside each: its events must all reach Kafka, once, while the sidecar
// stays up and its memory bounded.
import { join } from 'node:path';
import type * as http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ListenerServiceClient, PublishRequest, type PublishAck, type SparkEvent } from '@sparkwire/proto';
import { templateEvents } from '../src/loadgen';
import { countRecords, expectedRecords, Loadgen, loadgenOptions, MiB, readAll, RSS_BOUND, Sidecar, sleep, waitFor, waitForTopic } from '../src/harness';
import { brokerPerFile } from './broker-per-file';
import { grpcFrame, PUBLISH_PATH, randomGarbage, rawTcp, RawGrpc, STREAM_PATH } from '../src/raw-clients';
import { recordResult } from '../src/report';

const fi = brokerPerFile('abuse');
const { sidecars, loadgens } = fi;

async function sidecar(topic: string, extra: string[] = []): Promise<Sidecar> {
  const s = await Sidecar.start({
    args: ['--extended', '--kafka-brokers', fi.broker.bootstrap, '--kafka-topic', topic, '--kafka-partitions', '3', ...extra],
    spoolDir: join(fi.dir, `${topic}-spool`),
  });
  sidecars.push(s);
  await waitFor('kafka reachable', () => s.logs.some((l) => l.includes('"kafka reachable"')));
  return s;
}

const template = templateEvents('app-abuse');
const events = (prefix: string, n: number): SparkEvent[] => Array.from({ length: n }, (_, i) => ({ ...template[i % template.length], eventId: `${prefix}-${i + 1}`, appId: 'app-abuse' }));
const request = (clientId: string, batchSeq: number | bigint, evs: SparkEvent[]): PublishRequest => ({ clientId, batchSeq: BigInt(batchSeq), events: evs, clientStats: undefined });
const encode = (r: PublishRequest) => Buffer.from(PublishRequest.encode(r).finish());

async function inParallel<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

const tally = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
const GRPC_NAMES: Record<string, string> = { '0': 'OK', '3': 'INVALID_ARGUMENT', '8': 'RESOURCE_EXHAUSTED', '13': 'INTERNAL', '14': 'UNAVAILABLE', '16': 'UNAUTHENTICATED' };
const named = (t: Record<string, number>) => Object.entries(t).map(([k, v]) => `${GRPC_NAMES[k] ?? k} ${v}`).join(', ');

describe('clients that misbehave', () => {
  it('4. clients disconnecting in the middle of a batch, resending after a lost ack, and never reading acks', async () => {
    const topic = 'fi-disconnect';
    const s = await sidecar(topic);
    const port = Number(s.address.split(':').pop());
    const t0 = Date.now();
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's4', dir: fi.dir, rate: 3000, total: 3000 * 20 }));
    loadgens.push(lg);

    // a) Half a batch, then the stream is reset or the TCP connection dropped.
    const TORN = 300;
    let tornRst = 0;
    let tornTcp = 0;
    await inParallel(TORN, 20, async (i) => {
      const raw = new RawGrpc(s.address);
      const msg = encode(request('torn', i + 1, events(`torn-${i}`, 50)));
      const st = raw.open(STREAM_PATH);
      st.write(grpcFrame(msg.subarray(0, Math.floor(msg.length / 2)), msg.length));
      await sleep(20);
      if (i % 2 === 0) {
        st.close(0x8); // RST_STREAM CANCEL
        tornRst++;
      } else {
        raw.session.destroy();
        tornTcp++;
      }
      await sleep(20);
      raw.close();
    });

    // b) A batch sent and the stream cancelled before its ack; the same batch resent on a new connection.
    const RESEND = 100;
    const resendEvents: SparkEvent[] = [];
    const outcomes: string[] = [];
    for (let i = 0; i < RESEND; i++) {
      const evs = events(`resend-${i}`, 40);
      resendEvents.push(...evs);
      const req = request('resender', i + 1, evs);
      const c1 = new ListenerServiceClient(s.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const call = c1.stream();
      call.on('error', () => undefined);
      call.write(req);
      await sleep(i % 3);
      call.cancel();
      c1.close();
      const c2 = new ListenerServiceClient(s.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const res = await new Promise<{ accepted: number; duplicates: number }>((resolve, reject) => c2.publish(req, (e, r) => (e ? reject(e) : resolve(r!))));
      outcomes.push(res.duplicates === evs.length ? 'duplicate' : res.accepted === evs.length ? 'accepted' : 'partial');
      c2.close();
    }

    // c) A client that writes batches and never reads an ack.
    const raw = new RawGrpc(s.address);
    const rogue = raw.open(STREAM_PATH);
    rogue.pause();
    rogue.removeAllListeners('data');
    let rogueBatches = 0;
    let rogueBytes = 0;
    let stalled = false;
    const rogueStart = Date.now();
    while (Date.now() - rogueStart < 40_000) {
      const frame = grpcFrame(encode(request('rogue', rogueBatches + 1, events(`rogue-${rogueBatches}`, 20))));
      const ok = rogue.write(frame);
      rogueBatches++;
      rogueBytes += frame.length;
      if (!ok) {
        const drained = await Promise.race([new Promise<boolean>((r) => rogue.once('drain', () => r(true))), sleep(3000).then(() => false)]);
        if (!drained) {
          stalled = true;
          break;
        }
      }
    }
    const rssWithRogue = s.rssBytes;
    const summary = await lg.done;
    raw.close();

    const acked = [...lg.ackedEvents(), ...resendEvents];
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(acked));
    const records = await readAll(fi.broker.bootstrap, topic, expectedRecords(acked));
    const count = countRecords(records.filter((r) => !r.value.toString().includes('"rogue-')), acked.map((e) => e.eventId));
    const tornInKafka = records.filter((r) => r.value.toString().includes('"torn-')).length;
    const alive = s.alive;
    const passed = count.lost === 0 && count.duplicates === 0 && tornInKafka === 0 && stalled && alive && s.maxRssBytes < RSS_BOUND;
    recordResult({
      id: '4-disconnects',
      title: '4. disconnect mid-batch; resend after a lost ack; a client that never reads acks',
      mode: 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'half batches then RST_STREAM / TCP drop': `${tornRst} / ${tornTcp}`,
        'records of half batches in Kafka': tornInKafka,
        'batches resent after a cancelled stream (answered duplicate / accepted)': `${outcomes.filter((o) => o === 'duplicate').length} / ${outcomes.filter((o) => o === 'accepted').length}`,
        'non-reading client: batches written before the sidecar stopped reading': rogueBatches,
        'non-reading client: MiB written before the stall': rogueBytes / MiB,
        'sidecar RSS with the non-reading client attached (MiB)': rssWithRogue / MiB,
        'load generator reconnects': summary.reconnects,
      },
    });
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(tornInKafka).toBe(0);
    expect(outcomes.filter((o) => o === 'partial')).toHaveLength(0);
    expect(stalled).toBe(true);
    expect(alive).toBe(true);
    expect(s.maxRssBytes).toBeLessThan(RSS_BOUND);
    await s.stop();
  });

  it('5. 10,000 malformed frames: random bytes at the port, truncated and oversized protobuf, wrong field types', async () => {
    const topic = 'fi-malformed';
    const s = await sidecar(topic);
    const port = Number(s.address.split(':').pop());
    const t0 = Date.now();
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's5', dir: fi.dir, rate: 2000, total: 2000 * 25 }));
    loadgens.push(lg);
    const PER_KIND = 2500;

    // Random bytes straight at the port (no HTTP/2 preface).
    const tcp = await inParallel(PER_KIND, 50, () => rawTcp(port, randomGarbage(), 3000));
    // gRPC-framed, over a few HTTP/2 sessions.
    const sessions = Array.from({ length: 4 }, () => new RawGrpc(s.address));
    const call = (i: number, body: Buffer) => sessions[i % sessions.length].call(PUBLISH_PATH, body, { timeoutMs: 15_000 });
    // Truncated: a valid request cut inside its (last) event.
    const valid = encode(request('trunc', 1, events('trunc', 1).map((e) => ({ ...e, labels: { pad: 'x'.repeat(400) } }))));
    const truncated = await inParallel(PER_KIND, 100, (i) => call(i, grpcFrame(valid.subarray(0, valid.length - 1 - (i % 380)))));
    // Oversized: a length prefix far past the gRPC limit (with a few bytes), and some real batches over max_batch_bytes.
    const declared = await inParallel(PER_KIND - 20, 100, (i) => call(i, grpcFrame(Buffer.alloc(16, i), 100 * MiB)));
    const big = encode(request('big', 1, events('big', 9000).map((e) => ({ ...e, labels: { pad: 'y'.repeat(900) } }))));
    const realBig = await inParallel(20, 2, (i) => call(i, grpcFrame(big)));
    // Wrong field types: each field with a wire type it does not have, in a valid frame.
    const wrong = [
      Buffer.from([0x08, 0x2a]), // client_id (string) as varint
      Buffer.from([0x0a, 0x01, 0x63, 0x12, 0x03, 0x61, 0x62, 0x63]), // batch_seq (varint) as bytes
      Buffer.from([0x0a, 0x01, 0x63, 0x18, 0x05]), // events (message) as varint
      Buffer.from([0x0a, 0x01, 0x63, 0x1d, 0x01, 0x02, 0x03, 0x04]), // events as fixed32
      Buffer.from([0x0a, 0x01, 0x63, 0x1a, 0x02, 0x08, 0x01]), // an event whose event_id (string) is a varint
      Buffer.from([0x0a, 0x01, 0x63, 0x1a, 0x05, 0x0a, 0x7f, 0x61, 0x62, 0x63]), // an event whose event_id claims 127 bytes
    ];
    const wrongTypes = await inParallel(PER_KIND, 100, (i) => call(i, grpcFrame(wrong[i % wrong.length])));
    for (const x of sessions) x.close();

    const summary = await lg.done;
    const acked = lg.ackedEvents();
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(acked));
    const records = await readAll(fi.broker.bootstrap, topic, expectedRecords(acked));
    const count = countRecords(records, acked.map((e) => e.eventId));
    const alive = s.alive;
    const malformedCounted = await s.metric('sparkwire_grpc_malformed_frames_total');
    const frames = tcp.length + truncated.length + declared.length + realBig.length + wrongTypes.length;
    // Truncated and oversized frames are refused, and so is a known field with a wire type it
    // cannot have (the request decoder validates the wire format against the schema; protobuf
    // itself would skip it as an unknown field). Nothing of any of them may reach Kafka.
    const okForBad = [...truncated, ...declared, ...realBig, ...wrongTypes].filter((r) => r.status === '0').length;
    const ackedIds = new Set(acked.map((e) => e.eventId));
    const foreign = records.filter((r) => !ackedIds.has(JSON.parse(r.value.toString()).eventId)).length;
    const passed = count.lost === 0 && count.duplicates === 0 && foreign === 0 && alive && okForBad === 0 && s.maxRssBytes < RSS_BOUND;
    recordResult({
      id: '5-malformed',
      title: `5. ${frames.toLocaleString('en-US')} malformed frames`,
      mode: 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'random bytes at the port (connections closed by the sidecar / left open)': `${tcp.filter((x) => x === 'closed').length} / ${tcp.filter((x) => x === 'open').length}`,
        'truncated protobuf': named(tally(truncated.map((r) => r.status))),
        'length prefix of 100 MiB': named(tally(declared.map((r) => r.status))),
        'real batches over max_batch_bytes (8 MiB)': named(tally(realBig.map((r) => r.status))),
        'wrong field types': named(tally(wrongTypes.map((r) => r.status))),
        'records in Kafka from any malformed frame': foreign,
        'sparkwire_grpc_malformed_frames_total': malformedCounted ?? 'n/a',
        'load generator reconnects': summary.reconnects,
      },
    });
    expect(okForBad).toBe(0);
    expect(foreign).toBe(0);
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(alive).toBe(true);
    expect(s.maxRssBytes).toBeLessThan(RSS_BOUND);
    await s.stop();
  });

  it('6. idle and slow streams holding connections: ended after the idle timeout, per-client stream limit, others unaffected', async () => {
    const topic = 'fi-idle';
    const idleMs = 3000;
    const s = await sidecar(topic, ['--server-idle-stream-timeout-ms', String(idleMs), '--server-max-streams-per-client', '8', '--server-max-streams', '400']);
    const port = Number(s.address.split(':').pop());
    const t0 = Date.now();
    const lg = new Loadgen(loadgenOptions({ address: s.address, name: 's6', dir: fi.dir, rate: 2000, total: 2000 * 15 }));
    loadgens.push(lg);

    // Idle streams: opened, nothing sent.
    const IDLE = 150;
    const idleClients = Array.from({ length: 5 }, () => new ListenerServiceClient(s.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
    const idleEnds: Array<Promise<{ code: number; ms: number }>> = [];
    for (let i = 0; i < IDLE; i++) {
      const opened = Date.now();
      const c = idleClients[i % idleClients.length].stream();
      idleEnds.push(new Promise((r) => c.on('error', (e: grpc.ServiceError) => r({ code: e.code, ms: Date.now() - opened }))));
    }
    // Slow streams: a frame header, then one byte every 500 ms, never a whole batch.
    const SLOW = 30;
    const slowRaw = new RawGrpc(s.address);
    const slow: http2.ClientHttp2Stream[] = [];
    const slowEnds: Array<Promise<number>> = [];
    for (let i = 0; i < SLOW; i++) {
      const st = slowRaw.open(STREAM_PATH);
      st.write(grpcFrame(Buffer.alloc(0), 1000));
      const opened = Date.now();
      // Ended by the sidecar: its status arrives in trailers (the client may keep its half open).
      slowEnds.push(
        new Promise((r) => {
          st.on('trailers', () => r(Date.now() - opened));
          st.on('response', (h) => h['grpc-status'] !== undefined && r(Date.now() - opened));
          st.on('close', () => r(Date.now() - opened));
        }),
      );
      slow.push(st);
    }
    const trickle = setInterval(() => {
      for (const st of slow) if (!st.closed && !st.destroyed) st.write(Buffer.from([0x0a]));
    }, 500);
    // Idle TCP connections that never speak HTTP/2.
    const IDLE_TCP = 50;
    const tcp = Array.from({ length: IDLE_TCP }, () => rawTcp(port, Buffer.alloc(0), idleMs * 3));
    // One client opening 20 streams: 8 are allowed.
    const greedyClient = new ListenerServiceClient(s.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const greedy = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = greedyClient.stream();
        const first = new Promise<string>((r) => {
          c.once('data', (a: PublishAck) => r(a.errorCode === 0 ? 'ok' : `ack:${a.errorCode}`));
          c.once('error', (e: grpc.ServiceError) => r(GRPC_NAMES[String(e.code)] ?? String(e.code)));
        });
        await sleep(i * 20);
        c.write(request('greedy', 0, []));
        const outcome = await first;
        c.on('error', () => undefined);
        return outcome;
      }),
    );
    const openDuring = await s.metric('sparkwire_grpc_open_streams');
    const settle = <T>(ps: Array<Promise<T>>, ms: number) => Promise.all(ps.map((p) => Promise.race([p, sleep(ms).then(() => undefined)])));
    const idleResults = (await settle(idleEnds, idleMs * 5)).filter((x): x is { code: number; ms: number } => x !== undefined);
    const slowMs = (await settle(slowEnds, idleMs * 5)).filter((x): x is number => x !== undefined);
    clearInterval(trickle);
    const tcpOutcome = await Promise.all(tcp);
    const summary = await lg.done;
    await sleep(500);
    const openAfter = await s.metric('sparkwire_grpc_open_streams');
    slowRaw.close();
    for (const c of [...idleClients, greedyClient]) c.close();

    const acked = lg.ackedEvents();
    await waitForTopic(fi.broker.bootstrap, topic, expectedRecords(acked));
    const records = await readAll(fi.broker.bootstrap, topic, expectedRecords(acked));
    const count = countRecords(records, acked.map((e) => e.eventId));
    const alive = s.alive;
    const idleUnavailable = idleResults.filter((r) => r.code === grpc.status.UNAVAILABLE).length;
    const greedyTally = tally(greedy);
    const passed =
      count.lost === 0 && count.duplicates === 0 && alive && idleUnavailable === IDLE && slowMs.length === SLOW && greedyTally.ok === 8 && greedyTally.RESOURCE_EXHAUSTED === 12 && (openAfter ?? 0) <= 1;
    recordResult({
      id: '6-idle-slow',
      title: '6. idle and slow streams holding connections',
      mode: 'quick',
      passed,
      acked: count.acked,
      inKafka: count.inKafka,
      lost: count.lost,
      duplicates: count.duplicates,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        'server.idleStreamTimeoutMs': idleMs,
        'idle streams ended with UNAVAILABLE': `${idleUnavailable} of ${IDLE}, after ${(Math.min(...idleResults.map((r) => r.ms)) / 1000).toFixed(1)}-${(Math.max(...idleResults.map((r) => r.ms)) / 1000).toFixed(1)} s`,
        'slow streams (1 byte / 500 ms, never a whole batch) ended with a status': `${slowMs.length} of ${SLOW}, after ${(Math.max(...slowMs) / 1000).toFixed(1)} s at most`,
        'silent TCP connections closed by the sidecar within 3x the timeout': `${tcpOutcome.filter((x) => x === 'closed').length} of ${IDLE_TCP}`,
        'one client opening 20 streams': Object.entries(greedyTally).map(([k, v]) => `${k} ${v}`).join(', '),
        'open streams while held / after': `${openDuring} / ${openAfter}`,
      },
    });
    expect(count.lost, `lost ids: ${count.lostIds.join(', ')}`).toBe(0);
    expect(count.duplicates).toBe(0);
    expect(idleUnavailable).toBe(IDLE);
    expect(slowMs).toHaveLength(SLOW);
    expect(greedyTally).toEqual({ ok: 8, RESOURCE_EXHAUSTED: 12 });
    expect(openAfter ?? 0).toBeLessThanOrEqual(1);
    expect(alive).toBe(true);
    await s.stop();
  });
});
