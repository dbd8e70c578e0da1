// The receiver over real gRPC on loopback, with an in-memory sink behind the pipeline.
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import { ListenerServiceClient, PublishAck, PublishRequest, type SparkEvent } from '@sparkwire/proto';
import { Pipeline } from '@sparkwire/pipeline';
import { batches, MemorySink, syntheticApplication } from '@sparkwire/testkit';
import { startReceiver, type Receiver } from './receiver';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const app = syntheticApplication({ appId: 'app-r', stagesPerJob: [2], tasksPerStage: 5, executors: 1, sqlExecutions: 1, failedTasks: 1, streamingProgress: 1, startMs: Date.now() - 60_000 });
let receiver: Receiver | undefined;
const clients: grpc.Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await receiver?.shutdown(1000);
  receiver = undefined;
});

async function start(opts: { token?: string; extended?: boolean } = {}) {
  const sink = new MemorySink();
  const pipeline = new Pipeline({
    extended: opts.extended ?? true,
    limits: { maxBatchEvents: 500, maxBatchBytes: 256 * 1024 },
    route: { topic: 'events', key: 'appId' },
    encoder: sparkMeasureJsonEncoder,
    sink,
    dedupe: { batchWindow: 100, eventWindow: 10_000 },
    ackTimeoutMs: 2000,
  });
  receiver = await startReceiver({ host: '127.0.0.1', port: 0, token: opts.token, maxBatchBytes: 256 * 1024, maxInFlightPerStream: 4, pipeline, log: quiet, sinkHealthName: 'sparkwire.memory' });
  const client = new ListenerServiceClient(`127.0.0.1:${receiver.port}`, grpc.credentials.createInsecure());
  clients.push(client);
  return { sink, pipeline, client };
}

const req = (events: SparkEvent[], batchSeq: number | bigint, clientId = 'c1'): PublishRequest => ({ clientId, batchSeq: BigInt(batchSeq), events, clientStats: undefined });
const md = (token?: string) => {
  const m = new grpc.Metadata();
  if (token) m.set('authorization', `Bearer ${token}`);
  return m;
};
const publish = (client: ListenerServiceClient, r: PublishRequest, m = new grpc.Metadata()) =>
  new Promise<{ err: grpc.ServiceError | null; res?: unknown }>((resolve) => client.publish(r, m, (err, res) => resolve({ err, res })));

function streamAll(client: ListenerServiceClient, reqs: PublishRequest[], m = new grpc.Metadata()): Promise<{ acks: PublishAck[]; err?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const acks: PublishAck[] = [];
    const call = client.stream(m);
    call.on('data', (a: PublishAck) => acks.push(a));
    call.on('error', (err: grpc.ServiceError) => resolve({ acks, err }));
    call.on('end', () => resolve({ acks }));
    for (const r of reqs) call.write(r);
    call.end();
  });
}

describe('ListenerService over gRPC', () => {
  it('Publish accepts a batch and reports the mode', async () => {
    const { sink, client } = await start({ extended: false });
    const { err, res } = await publish(client, req(app, 1));
    expect(err).toBeNull();
    expect(res).toMatchObject({ batchSeq: 1n, taskEventsWanted: false });
    expect(sink.records.length).toBeGreaterThan(0);
  });

  it('Stream acks every batch in order and a resent batch is not published twice', async () => {
    const { sink, client } = await start();
    const reqs = batches(app, 4).map((b, i) => req(b, i + 1));
    const { acks, err } = await streamAll(client, [...reqs, reqs[2]]);
    expect(err).toBeUndefined();
    expect(acks.map((a) => a.batchSeq)).toEqual([...reqs.map((r) => r.batchSeq), 3n]);
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);
    expect(acks[acks.length - 1].duplicates).toBe(reqs[2].events.length);
    const ids = sink.records.map((r) => JSON.parse(r.value as string)).map((o) => `${o.eventId}/${o.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(sink.records.map((r) => JSON.parse(r.value as string).eventId)).size).toBe(app.length);
  });

  it('Stream acks a refused batch with its status and keeps serving the next ones', async () => {
    const { sink, client } = await start();
    const bad = app.slice(0, 3).map((e, i) => (i === 1 ? { ...e, eventTimeMs: -1n } : e));
    const { acks, err } = await streamAll(client, [req(bad, 1), req(app.slice(3, 6), 2)]);
    expect(err).toBeUndefined();
    expect(acks[0]).toMatchObject({ batchSeq: 1n, errorCode: grpc.status.INVALID_ARGUMENT });
    expect(acks[0].errorMessage).toContain('events[1].event_time_ms');
    expect(acks[1]).toMatchObject({ batchSeq: 2n, errorCode: 0, accepted: 3 });
    expect(new Set(sink.records.map((r) => JSON.parse(r.value as string).eventId))).toEqual(new Set(app.slice(3, 6).map((e) => e.eventId)));
  });

  it('64-bit values pass exactly: batch_seq above 2^53 acked as sent, a reused seq with new ids published', async () => {
    const { sink, client } = await start();
    const seq = 2n ** 53n + 1n; // not a double
    const { acks, err } = await streamAll(client, [req(app.slice(0, 3), seq), req(app.slice(3, 6), seq), req(app.slice(3, 6), seq), req(app.slice(6, 8), 2n ** 64n - 1n)]);
    expect(err).toBeUndefined();
    expect(acks.map((a) => [a.batchSeq, a.errorCode, a.accepted, a.duplicates])).toEqual([
      [seq, 0, 3, 0],
      [seq, 0, 3, 0], // same seq, other ids: a new batch, published
      [seq, 0, 3, 3], // its resend: answered from memory
      [2n ** 64n - 1n, 0, 2, 0],
    ]);
    const r = await publish(client, req(app.slice(8, 9), seq));
    expect(r.err).toBeNull();
    expect(r.res).toMatchObject({ batchSeq: seq, accepted: 1, duplicates: 0 });
    expect([...new Set(sink.records.map((x) => JSON.parse(x.value as string).eventId))]).toEqual(app.slice(0, 9).map((e) => e.eventId));
  });

  it('Publish refuses bad input with INVALID_ARGUMENT naming field and index', async () => {
    const { sink, client } = await start();
    const bad = app.slice(0, 4).map((e, i) => (i === 2 ? { ...e, appId: '' } : e));
    const { err } = await publish(client, req(bad, 1));
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toContain('events[2].app_id');
    expect(sink.records).toHaveLength(0);
  });

  it('Publish refuses a batch over max_batch_bytes with RESOURCE_EXHAUSTED', async () => {
    const { client } = await start();
    const big = Array.from({ length: 400 }, (_, i) => ({ ...app[0], eventId: `big-${i}`, labels: { pad: 'x'.repeat(1000) } }));
    const { err } = await publish(client, req(big, 1));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toContain('max_batch_bytes');
  });

  it('answers UNAVAILABLE while the sink is down', async () => {
    const { sink, client } = await start();
    sink.ready = false;
    const { err } = await publish(client, req(app.slice(0, 2), 1));
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    const s = await streamAll(client, [req(app.slice(0, 2), 1)]);
    expect(s.err?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('turns random bytes into INVALID_ARGUMENT and keeps serving', async () => {
    const { client } = await start();
    const raw = new grpc.Client(`127.0.0.1:${receiver!.port}`, grpc.credentials.createInsecure());
    clients.push(raw);
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.makeUnaryRequest('/sparkwire.v1.ListenerService/Publish', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]), (e) => resolve(e)),
    );
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(receiver!.counters.malformedFrames).toBe(1);
    expect((await publish(client, req(app.slice(0, 2), 1))).err).toBeNull();
  });

  it('requires the bearer token when one is configured', async () => {
    const token = 'a-very-long-test-token';
    const { client } = await start({ token });
    expect((await publish(client, req(app.slice(0, 2), 1))).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await publish(client, req(app.slice(0, 2), 1), md('wrong-token-of-some-length'))).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await streamAll(client, [req(app.slice(0, 2), 1)], md('nope'))).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await publish(client, req(app.slice(0, 2), 1), md(token))).err).toBeNull();
    expect(receiver!.counters.authFailures).toBe(3);
  });

  it('serves grpc.health.v1 with the sink as a dependency, and reflection', async () => {
    const { sink } = await start();
    const def = protoLoader.loadSync('health/v1/health.proto', { enums: String, includeDirs: [new URL('../../../node_modules/grpc-health-check/proto', import.meta.url).pathname] });
    const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health;
    const health = new Health(`127.0.0.1:${receiver!.port}`, grpc.credentials.createInsecure());
    clients.push(health);
    const check = (service: string) => new Promise<string>((resolve, reject) => health.check({ service }, (e: Error, r: { status: string }) => (e ? reject(e) : resolve(r.status))));
    expect(await check('')).toBe('SERVING');
    expect(await check('sparkwire.memory')).toBe('SERVING');
    sink.ready = false;
    receiver!.setSinkReady(false);
    expect(await check('sparkwire.memory')).toBe('NOT_SERVING');
    expect(await check('sparkwire.v1.ListenerService')).toBe('NOT_SERVING');

    const rdef = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [new URL('../../../node_modules/@grpc/reflection/build/proto', import.meta.url).pathname] });
    const Reflection = (grpc.loadPackageDefinition(rdef) as any).grpc.reflection.v1.ServerReflection;
    const refl = new Reflection(`127.0.0.1:${receiver!.port}`, grpc.credentials.createInsecure());
    clients.push(refl);
    const services = await new Promise<string[]>((resolve, reject) => {
      const call = refl.serverReflectionInfo();
      call.on('data', (r: any) => {
        resolve(r.listServicesResponse.service.map((s: { name: string }) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ listServices: '' });
    });
    expect(services).toContain('sparkwire.v1.ListenerService');
  });
});

describe('eventSlices', () => {
  it('finds each event\'s bytes in a PublishRequest frame', async () => {
    const { eventSlices } = await import('./decode');
    const { SparkEvent } = await import('@sparkwire/proto');
    const events = app.slice(0, 25);
    const frame = Buffer.from(PublishRequest.encode({ clientId: 'c', batchSeq: 123456789n, events, clientStats: { droppedBufferFull: 1n, droppedSidecarUnavailable: 0n, sparkDroppedEvents: 0n, eventsSent: 5n, taskEventsSkipped: 0n, clientKind: 'x', clientVersion: '1' } }).finish());
    const slices = eventSlices(frame, events.length);
    expect(slices.map((s) => SparkEvent.decode(s))).toEqual(events);
    expect(() => eventSlices(frame, 3)).toThrow();
  });
});
