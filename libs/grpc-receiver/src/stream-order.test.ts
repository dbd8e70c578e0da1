// Spark order on a stream: once a batch is refused with a retryable status (sink full or
// unreachable), no later batch of the same stream may be published. The client resends from
// its oldest unacked batch, in order; a later batch published meanwhile would land in Kafka
// before the refused one (and its resend would be answered as a duplicate).
import { afterEach, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import { ListenerServiceClient, PublishRequest, type PublishAck, type SparkEvent } from '@sparkwire/proto';
import { Pipeline } from '@sparkwire/pipeline';
import { MemorySink, syntheticApplication } from '@sparkwire/testkit';
import { startReceiver, type Receiver } from './receiver';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const app = syntheticApplication({ appId: 'app-o', stagesPerJob: [2], tasksPerStage: 10, executors: 1, sqlExecutions: 1, failedTasks: 0, streamingProgress: 1, startMs: Date.now() - 60_000 });
let receiver: Receiver | undefined;
let client: ListenerServiceClient | undefined;

afterEach(async () => {
  client?.close();
  await receiver?.shutdown(500);
  receiver = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const events = (tag: string, n = 3): SparkEvent[] => Array.from({ length: n }, (_, i) => ({ ...app[(i + 3) % app.length], eventId: `${tag}-${i}` }));

it('a batch refused as UNAVAILABLE stops the stream: a later batch read before the stream ends is not published', async () => {
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
  receiver = await startReceiver({ host: '127.0.0.1', port: 0, maxBatchBytes: 1024 * 1024, maxInFlightPerStream: 64, pipeline, log: quiet, sinkHealthName: 'sparkwire.memory' });
  client = new ListenerServiceClient(`127.0.0.1:${receiver.port}`, grpc.credentials.createInsecure());
  const call = client.stream(new grpc.Metadata());
  const acks: PublishAck[] = [];
  const status = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call.on('data', (a: PublishAck) => acks.push(a));
    call.on('error', (e: grpc.ServiceError) => resolve(e));
    call.on('end', () => resolve(undefined));
  });
  const req = (seq: number, tag: string) => PublishRequest.fromPartial({ clientId: 'order', batchSeq: BigInt(seq), events: events(tag) });

  // Batch 1 is being written (its ack, and so the stream's end, waits for it).
  sink.hold = true;
  call.write(req(1, 'b1'));
  for (let i = 0; i < 100 && sink.writes < 1; i++) await sleep(10);
  expect(sink.writes).toBe(1);
  // Batch 2 meets a full sink: UNAVAILABLE.
  sink.ready = false;
  call.write(req(2, 'b2'));
  await sleep(100);
  // The sink takes batches again before the stream has ended: batch 3 must still not be published.
  sink.ready = true;
  call.write(req(3, 'b3'));
  await sleep(100);
  sink.release();
  const err = await status;
  expect(err?.code).toBe(grpc.status.UNAVAILABLE);
  expect(acks.map((a) => Number(a.batchSeq))).toEqual([1]);
  const published = sink.records.map((r) => JSON.parse(String(r.value)).eventId as string);
  expect(published.filter((id) => id.startsWith('b3'))).toEqual([]);
  expect(sink.writes).toBe(1);
});
