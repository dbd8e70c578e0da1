// Bounded resources over real gRPC: bytes in flight, streams per client, idle streams.
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import { ListenerServiceClient, PublishRequest, type PublishAck, type SparkEvent } from '@sparkwire/proto';
import { Pipeline } from '@sparkwire/pipeline';
import { MemorySink, syntheticApplication } from '@sparkwire/testkit';
import { InFlightBudget, StreamRegistry } from './limits';
import { startReceiver, type Receiver, type ReceiverOptions } from './receiver';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const app = syntheticApplication({ appId: 'app-l', stagesPerJob: [2], tasksPerStage: 20, executors: 1, sqlExecutions: 1, failedTasks: 0, streamingProgress: 1, startMs: Date.now() - 60_000 });
let receiver: Receiver | undefined;
const clients: grpc.Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await receiver?.shutdown(500);
  receiver = undefined;
});

async function start(extra: Partial<ReceiverOptions> = {}) {
  const sink = new MemorySink();
  const pipeline = new Pipeline({
    extended: true,
    limits: { maxBatchEvents: 5000, maxBatchBytes: 4 * 1024 * 1024 },
    route: { topic: 'events', key: 'appId' },
    encoder: sparkMeasureJsonEncoder,
    sink,
    dedupe: { batchWindow: 1000, eventWindow: 100_000 },
    ackTimeoutMs: 10_000,
  });
  receiver = await startReceiver({ host: '127.0.0.1', port: 0, maxBatchBytes: 4 * 1024 * 1024, maxInFlightPerStream: 64, pipeline, log: quiet, sinkHealthName: 'sparkwire.memory', ...extra });
  const client = new ListenerServiceClient(`127.0.0.1:${receiver.port}`, grpc.credentials.createInsecure());
  clients.push(client);
  return { sink, pipeline, client };
}

let seq = 0;
const req = (events: SparkEvent[], clientId = 'c1', batchSeq = ++seq): PublishRequest => ({ clientId, batchSeq: BigInt(batchSeq), events, clientStats: undefined });
const bytesOf = (r: PublishRequest) => PublishRequest.encode(r).finish().length;
const publish = (client: ListenerServiceClient, r: PublishRequest) =>
  new Promise<grpc.ServiceError | null>((resolve) => client.publish(r, new grpc.Metadata(), (err) => resolve(err)));
const fresh = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ ...app[i % app.length], eventId: `${tag}-${i}` }));

describe('InFlightBudget and StreamRegistry', () => {
  it('admit a lone batch of any size, refuse what would pass the budget, wake waiters on release', () => {
    const b = new InFlightBudget(100);
    expect(b.tryAcquire(500)).toBe(true);
    expect(b.tryAcquire(1)).toBe(false);
    let woken = 0;
    const stop = b.onFree(() => woken++);
    b.release(500);
    expect(woken).toBe(1);
    stop();
    expect(b.tryAcquire(60)).toBe(true);
    expect(b.tryAcquire(50)).toBe(false);
    expect(b.peak).toBe(500);
    const r = new StreamRegistry(2);
    expect([r.add('a'), r.add('a'), r.add('a'), r.add('b')]).toEqual([true, true, false, true]);
    r.remove('a');
    expect(r.add('a')).toBe(true);
  });
});

describe('bounded resources over gRPC', () => {
  it('Publish past server.maxInFlightBytes gets RESOURCE_EXHAUSTED (retry later) while batches are held in the sink', async () => {
    const one = req(fresh(200, 'big'));
    const size = bytesOf(one);
    const { sink, client } = await start({ maxInFlightBytes: size * 2 + 1000 });
    sink.hold = true;
    const first = publish(client, one);
    const second = publish(client, req(fresh(200, 'big2')));
    await new Promise((r) => setTimeout(r, 200));
    const third = await publish(client, req(fresh(200, 'big3')));
    expect(third?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(third?.details).toMatch(/server.maxInFlightBytes.*retry later/);
    expect(receiver!.counters.busyRefusals).toBe(1);
    sink.release();
    expect(await first).toBeNull();
    expect(await second).toBeNull();
    expect(receiver!.counters.inFlightBytes).toBe(0);
    // Once the bytes are released the same batch goes through.
    expect(await publish(client, req(fresh(200, 'big3')))).toBeNull();
  });

  it('a stream past the budget is paused (flow control), not refused: every batch is acked, in-flight bytes stay bounded', async () => {
    const batchesToSend = Array.from({ length: 60 }, (_, i) => req(fresh(50, `s${i}`), 'streamer', i + 1));
    const size = Math.max(...batchesToSend.map(bytesOf));
    const { sink, client } = await start({ maxInFlightBytes: size * 3 });
    // A slow sink: each write takes a few ms, so batches pile up against the budget.
    const orig = sink.write.bind(sink);
    sink.write = async (records) => {
      await new Promise((r) => setTimeout(r, 5));
      return orig(records);
    };
    const call = client.stream();
    const acks: PublishAck[] = [];
    const done = new Promise<grpc.ServiceError | undefined>((resolve) => {
      call.on('data', (a: PublishAck) => acks.push(a));
      call.on('error', (e: grpc.ServiceError) => resolve(e));
      call.on('end', () => resolve(undefined));
    });
    for (const b of batchesToSend) call.write(b);
    call.end();
    expect(await done).toBeUndefined();
    expect(acks.map((a) => a.batchSeq)).toEqual(batchesToSend.map((b) => b.batchSeq));
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);
    // At most the budget plus the one batch a paused stream had already read.
    expect(receiver!.counters.inFlightBytesPeak).toBeLessThanOrEqual(size * 4);
    expect(receiver!.counters.inFlightBytesPeak).toBeGreaterThan(0);
  });

  it('streams per client: the one past server.maxStreamsPerClient is refused, other clients are not', async () => {
    const { client } = await start({ maxStreamsPerClient: 2 });
    const open = (clientId: string) => {
      const call = client.stream();
      const first = new Promise<PublishAck | grpc.ServiceError>((resolve) => {
        call.once('data', resolve);
        call.once('error', resolve);
      });
      call.write(req([], clientId, 0));
      return { call, first };
    };
    const a1 = open('same');
    const a2 = open('same');
    expect(await a1.first).toMatchObject({ errorCode: 0 });
    expect(await a2.first).toMatchObject({ errorCode: 0 });
    const a3 = open('same');
    expect(await a3.first).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/maxStreamsPerClient/) });
    const b1 = open('other');
    expect(await b1.first).toMatchObject({ errorCode: 0 });
    // Closing one makes room again.
    a1.call.end();
    await new Promise((r) => setTimeout(r, 100));
    const a4 = open('same');
    expect(await a4.first).toMatchObject({ errorCode: 0 });
    for (const c of [a2, b1, a4]) c.call.end();
    expect(receiver!.counters.streamLimitRefusals).toBe(1);
  });

  it('total streams: the one past server.maxStreams is refused at once', async () => {
    const { client } = await start({ maxStreams: 3 });
    const calls = Array.from({ length: 3 }, () => client.stream());
    for (const c of calls) c.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const extra = client.stream();
    const err = await new Promise<grpc.ServiceError>((resolve) => extra.on('error', resolve));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    for (const c of calls) c.cancel();
  });

  it('an idle stream is ended with UNAVAILABLE after server.idleStreamTimeoutMs; a busy one is not', async () => {
    const { client } = await start({ idleStreamTimeoutMs: 300 });
    const idle = client.stream();
    const idleErr = new Promise<grpc.ServiceError>((resolve) => idle.on('error', resolve));
    const busy = client.stream();
    let busyErr: grpc.ServiceError | undefined;
    busy.on('error', (e: grpc.ServiceError) => (busyErr = e));
    busy.on('data', () => undefined);
    const t0 = Date.now();
    for (let i = 0; i < 8; i++) {
      busy.write(req(fresh(1, `busy-${i}`), 'busy'));
      await new Promise((r) => setTimeout(r, 100));
    }
    const e = await idleErr;
    expect(e.code).toBe(grpc.status.UNAVAILABLE);
    expect(e.details).toMatch(/idle/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(busyErr).toBeUndefined();
    expect(receiver!.counters.idleStreamsClosed).toBe(1);
    busy.end();
  });
});
