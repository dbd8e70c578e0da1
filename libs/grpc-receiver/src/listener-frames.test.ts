// Publish and Stream against hand-made frames over raw HTTP/2: every malformed frame gets a
// non-OK status naming what is wrong, every stream either acks or errors (also one whose last
// message is cut short), batches before a bad frame are acked first, and the server stays
// responsive.
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import { ListenerServiceClient, PublishAck, PublishRequest, type SparkEvent } from '@sparkwire/proto';
import { Pipeline } from '@sparkwire/pipeline';
import { grpcFrame, MemorySink, PUBLISH_PATH, RawGrpcClient, STREAM_PATH, syntheticApplication } from '@sparkwire/testkit';
import { canInspect } from './grpc-internals';
import { startReceiver, type Receiver, type ReceiverOptions } from './receiver';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const app = syntheticApplication({ appId: 'app-f', stagesPerJob: [2], tasksPerStage: 10, executors: 1, sqlExecutions: 1, failedTasks: 0, streamingProgress: 1, startMs: Date.now() - 60_000 });
let receiver: Receiver | undefined;
const closers: Array<() => void> = [];

afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await receiver?.shutdown(500);
  receiver = undefined;
});

async function start(extra: Partial<ReceiverOptions> = {}) {
  const sink = new MemorySink();
  const pipeline = new Pipeline({
    extended: true,
    limits: { maxBatchEvents: 5000, maxBatchBytes: 1024 * 1024 },
    route: { topic: 'events', key: 'appId' },
    encoder: sparkMeasureJsonEncoder,
    sink,
    dedupe: { batchWindow: 1000, eventWindow: 100_000 },
    ackTimeoutMs: 10_000,
  });
  receiver = await startReceiver({ host: '127.0.0.1', port: 0, maxBatchBytes: 1024 * 1024, maxInFlightPerStream: 64, pipeline, log: quiet, sinkHealthName: 'sparkwire.memory', ...extra });
  const address = `127.0.0.1:${receiver.port}`;
  const raw = new RawGrpcClient(address);
  closers.push(() => raw.close());
  return { sink, pipeline, raw, address };
}

let seq = 0;
const events = (tag: string, n = 3): SparkEvent[] => Array.from({ length: n }, (_, i) => ({ ...app[(i + 3) % app.length], eventId: `${tag}-${i}` }));
const batch = (tag: string, n = 3, clientId = 'c1') => Buffer.from(PublishRequest.encode({ clientId, batchSeq: BigInt(++seq), events: events(tag, n), clientStats: undefined }).finish());
const ids = (sink: MemorySink) => new Set(sink.records.map((r) => JSON.parse(String(r.value)).eventId as string));
const acks = (messages: Buffer[]) => messages.map((m) => PublishAck.decode(m));

async function stillServes(address: string): Promise<void> {
  const client = new ListenerServiceClient(address, grpc.credentials.createInsecure());
  closers.push(() => client.close());
  const r = PublishRequest.fromPartial({ clientId: 'probe', batchSeq: BigInt(++seq), events: events(`probe-${seq}`, 1) });
  const res = await new Promise<unknown>((resolve, reject) => client.publish(r, new grpc.Metadata(), { deadline: Date.now() + 2000 }, (e, x) => (e ? reject(e) : resolve(x))));
  expect(res).toMatchObject({ accepted: 1 });
}

describe('Publish with malformed frames', () => {
  it('00, 80 00 and 00 after a valid field: INVALID_ARGUMENT at once, the sidecar keeps serving', async () => {
    const { raw, address } = await start();
    for (const bytes of [[0x00], [0x80, 0x00], [0x0a, 0x01, 0x63, 0x00]]) {
      const r = await raw.call(PUBLISH_PATH, grpcFrame(Buffer.from(bytes)), 3000);
      expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(r.message).toMatch(/^request: not a valid sparkwire\.v1\.PublishRequest \(\(top level\) at byte \d: tag 0x00: field number 0 is not allowed\)$/);
    }
    await stillServes(address);
  });

  it('a complete message followed by part of another is INVALID_ARGUMENT, not served', async () => {
    const { raw, sink } = await start();
    const body = Buffer.concat([grpcFrame(batch('pub-extra')), grpcFrame(Buffer.from('abc'), 50)]);
    const r = await raw.call(PUBLISH_PATH, body);
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.message).toContain('the request stream ended inside a gRPC message: 3 of the 50 bytes its prefix declared');
    expect([...ids(sink)].filter((i) => i.startsWith('pub-extra'))).toEqual([]);
    // a lone partial message: grpc-js answers UNIMPLEMENTED (no request message) itself
    expect((await raw.call(PUBLISH_PATH, grpcFrame(Buffer.from('ab'), 10))).code).not.toBe(grpc.status.OK);
  });

  it('a batch over server.maxBatchEvents is refused by the decoder with the pipeline message (RESOURCE_EXHAUSTED)', async () => {
    const { raw } = await start({ decodeLimits: { maxBatchEvents: 2 } });
    const r = await raw.call(PUBLISH_PATH, grpcFrame(batch('pub-many', 3)));
    expect(r).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: 'events: 3 events exceed max_batch_events 2; send smaller batches' });
  });
});

describe('Stream with malformed frames: acks, then an error; never a silent end', () => {
  it('batches before a malformed frame are acked and published, then INVALID_ARGUMENT names the field; frames after it are ignored', async () => {
    const { raw, sink } = await start();
    const bad = Buffer.concat([Buffer.from([0x1a, 0x05, 0x0a, 0x03, 0x69, 0x64, 0xff])]); // events[0].event_id = "id\xff"
    const body = Buffer.concat([grpcFrame(batch('s1-a')), grpcFrame(batch('s1-b')), grpcFrame(bad), grpcFrame(batch('s1-after'))]);
    const r = await raw.call(STREAM_PATH, body);
    expect(acks(r.messages).map((a) => a.errorCode)).toEqual([0, 0]);
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.message).toBe('request: not a valid sparkwire.v1.PublishRequest (events[0].event_id at byte 6: invalid UTF-8 in a string field)');
    const got = ids(sink);
    expect([...got].filter((i) => i.startsWith('s1-')).sort()).toEqual(['s1-a-0', 's1-a-1', 's1-a-2', 's1-b-0', 's1-b-1', 's1-b-2']);
  });

  it('a stream whose last message is shorter than its declared length ends INVALID_ARGUMENT after the acks of the others', async () => {
    const { raw, sink, address } = await start();
    const whole = batch('s2-cut');
    for (const [cut, declared, expectMsg] of [
      [whole.subarray(0, 10), whole.length, `10 of the ${whole.length} bytes its prefix declared`],
      [Buffer.alloc(0), 100, '0 of the 100 bytes its prefix declared'],
    ] as const) {
      const body = Buffer.concat([grpcFrame(batch('s2-ok')), grpcFrame(cut, declared)]);
      const r = await raw.call(STREAM_PATH, body);
      expect(acks(r.messages).map((a) => a.errorCode)).toEqual([0]);
      expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(r.message).toContain(`the request stream ended inside a gRPC message: ${expectMsg}`);
    }
    // ... or inside the 5-byte prefix
    const r = await raw.call(STREAM_PATH, Buffer.concat([grpcFrame(batch('s2-ok2')), Buffer.from([0, 0, 0])]));
    expect(acks(r.messages)).toHaveLength(1);
    expect(r).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, message: expect.stringContaining('ended inside a gRPC message prefix (3 of 5 bytes)') });
    expect([...ids(sink)].some((i) => i.startsWith('s2-cut'))).toBe(false);
    await stillServes(address);
  });

  it('a well-formed batch over a limit is acked with RESOURCE_EXHAUSTED in order and the stream goes on', async () => {
    const { raw, sink } = await start({ decodeLimits: { maxBatchEvents: 3, maxStringBytes: 64 } });
    const first = seq + 1;
    const frames = [batch('s3-a'), batch('s3-many', 4)];
    frames.push(Buffer.from(PublishRequest.encode({ clientId: 'c1', batchSeq: BigInt(++seq), events: [{ ...app[3], eventId: 'x'.repeat(100) }], clientStats: undefined }).finish()));
    frames.push(batch('s3-b'));
    const r = await raw.call(STREAM_PATH, Buffer.concat(frames.map((f) => grpcFrame(f))));
    const a = acks(r.messages);
    expect(r.code).toBe(grpc.status.OK);
    expect(a.map((x) => x.errorCode)).toEqual([0, grpc.status.RESOURCE_EXHAUSTED, grpc.status.RESOURCE_EXHAUSTED, 0]);
    expect(a.map((x) => x.batchSeq)).toEqual([0, 1, 2, 3].map((i) => BigInt(first + i)));
    expect(a[1]).toMatchObject({ accepted: 0, errorMessage: 'events: 4 events exceed max_batch_events 3; send smaller batches' });
    expect(a[2].errorMessage).toMatch(/^events\[0\]\.event_id at byte \d+: string of 100 bytes exceeds server\.maxStringBytes 64$/);
    expect([...ids(sink)].filter((i) => i.startsWith('s3-')).sort()).toEqual(['s3-a-0', 's3-a-1', 's3-a-2', 's3-b-0', 's3-b-1', 's3-b-2']);
  });

  it('a single zero byte on a stream: INVALID_ARGUMENT, and the sidecar keeps serving', async () => {
    const { raw, address } = await start();
    for (const bytes of [[0x00], [0x80, 0x00]]) {
      const r = await raw.call(STREAM_PATH, grpcFrame(Buffer.from(bytes)), 3000);
      expect(r).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, outcome: 'status' });
    }
    await stillServes(address);
  });

  it("grpc-js's internals that show a held partial message are where grpc-internals.ts reads them", async () => {
    // If this fails after a grpc-js upgrade, the truncated-stream check above silently stops working.
    const { address } = await start();
    let inspected: boolean | undefined;
    const server = new grpc.Server();
    server.addService(
      { probe: { path: '/p.P/Probe', requestStream: true, responseStream: true, requestSerialize: (x: Buffer) => x, requestDeserialize: (x: Buffer) => x, responseSerialize: (x: Buffer) => x, responseDeserialize: (x: Buffer) => x } } as never,
      {
        probe: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          inspected = canInspect(call);
          call.end();
        },
      },
    );
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    closers.push(() => server.forceShutdown());
    const raw = new RawGrpcClient(`127.0.0.1:${port}`);
    closers.push(() => raw.close());
    await raw.call('/p.P/Probe', Buffer.alloc(0));
    expect(inspected).toBe(true);
    expect(address).toBeTruthy();
  });
});
