// The fuzzing target: property-based (fast-check, seeded mutations of the committed corpus in
// fuzz/corpus/, random bytes, random valid requests), run for a bounded time in the test
// command. A coverage-guided fuzzer (@jazzer.js/core 4.0.0) was tried first: its native
// addon needs glibc 2.38 (this machine has 2.36) and the older releases download their addon
// from GitHub at install, which is not reachable here. See fuzz/README.md.
//
// Properties of the request decoder (decode.ts):
//  - it never throws: every input becomes a Decoded, a refusal says where (byte offset);
//  - its time is linear in the input (no input spins it);
//  - a frame it accepts, protobuf's reference decoder (@bufbuild/protobuf with protoc's
//    descriptors, strict UTF-8) accepts too, and reads the same (re-encoded by the reference,
//    decoded by us, it is the same request); a frame the reference refuses, it refuses;
//  - valid frames (encode of a random valid request) are accepted and round-trip exactly.
// Properties of the Stream handler (stream-handler.ts), over raw HTTP/2 against a real
// receiver: every stream ends with a status within the deadline (never hangs, never ends
// silently), with one ack per batch read before the first bad frame, non-OK iff the stream
// held a bad or cut-short frame, and every event of an OK ack is in the sink.
//
// SPARKWIRE_FUZZ_MS (default 15000: every CI run draws a new seed) is the total budget, SPARKWIRE_FUZZ_SEED replays a run.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import { PublishAck, PublishRequest, type SparkEvent } from '@sparkwire/proto';
import { Pipeline } from '@sparkwire/pipeline';
import { encodeRequest, grpcFrame, MemorySink, randomRequest, RawGrpcClient, referenceAccepts, referenceReencode, Rng, STREAM_PATH, syntheticApplication } from '@sparkwire/testkit';
import { decodePublishRequest, type Decoded } from './decode';
import { startReceiver, type Receiver } from './receiver';

const FUZZ_DIR = join(import.meta.dirname, '../fuzz');
const BUDGET_MS = Number(process.env.SPARKWIRE_FUZZ_MS ?? 15_000);
const SEED = process.env.SPARKWIRE_FUZZ_SEED ? Number(process.env.SPARKWIRE_FUZZ_SEED) : Date.now() % 2 ** 31;

const corpus = readdirSync(join(FUZZ_DIR, 'corpus'))
  .filter((f) => f.endsWith('.bin'))
  .sort()
  .map((name) => ({ name, bytes: readFileSync(join(FUZZ_DIR, 'corpus', name)) }));

/** Byte sequences that tend to matter to a protobuf parser. */
const TOKENS = [
  [0x00],
  [0x80, 0x00],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0x85, 0x80, 0x80, 0x80, 0x10],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0x1a, 0x00],
  [0x1a, 0x7f],
  [0x0a, 0x02, 0xff, 0xfe],
  [0xed, 0xa0, 0x80],
  [0x2b],
  [0x2c],
  [0x0e],
  [0x09, 0x01],
  [0x3a, 0x04, 0x0a, 0x00, 0x12, 0x00],
].map((t) => Uint8Array.from(t));

type Op =
  | { t: 'flip'; at: number; bit: number }
  | { t: 'insert'; at: number; bytes: Uint8Array }
  | { t: 'delete'; at: number; n: number }
  | { t: 'truncate'; at: number }
  | { t: 'dup'; at: number; n: number; to: number }
  | { t: 'splice'; other: number; at: number; from: number }
  | { t: 'byte'; at: number; v: number }
  | { t: 'repeat'; times: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(fc.constantFrom(...TOKENS), fc.uint8Array({ maxLength: 8 })) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }), to: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('splice' as const), other: fc.nat(), at: fc.nat(), from: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('byte' as const), at: fc.nat(), v: fc.constantFrom(0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x7f, 0x80, 0xff) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 3000 }) }) },
);

function mutate(seedIndex: number, ops: Op[]): Buffer {
  let b = Buffer.from(corpus[seedIndex % corpus.length].bytes);
  for (const op of ops) {
    const at = b.length ? op.t === 'repeat' ? 0 : (op as { at: number }).at % (b.length + 1) : 0;
    switch (op.t) {
      case 'flip':
        if (b.length) b[at % b.length] ^= 1 << op.bit;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), op.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + op.n)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'dup': {
        const piece = b.subarray(at, at + op.n);
        const to = op.to % (b.length + 1);
        b = Buffer.concat([b.subarray(0, to), piece, b.subarray(to)]);
        break;
      }
      case 'splice': {
        const o = corpus[op.other % corpus.length].bytes;
        b = Buffer.concat([b.subarray(0, at), o.subarray(op.from % (o.length + 1))]);
        break;
      }
      case 'byte':
        if (b.length) b[at % b.length] = op.v;
        break;
      case 'repeat':
        if (b.length * op.times <= 1024 * 1024) b = Buffer.concat(Array.from({ length: op.times }, () => b));
        break;
    }
  }
  return b;
}

const inputArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.nat(), fc.array(opArb, { minLength: 1, maxLength: 6 })).map(([s, ops]) => mutate(s, ops)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)) },
  { weight: 1, arbitrary: fc.nat().map((i) => Buffer.from(corpus[i % corpus.length].bytes)) },
);

let findings = 0;
function keepFinding(input: Buffer, why: string): void {
  if (findings++ > 5) return;
  const dir = join(FUZZ_DIR, 'findings');
  mkdirSync(dir, { recursive: true });
  const name = createHash('sha1').update(input).digest('hex').slice(0, 16);
  writeFileSync(join(dir, `${name}.bin`), input);
  writeFileSync(join(dir, `${name}.txt`), `${why}\n`);
}

/** Decode, timed; a slow call is measured again (GC pauses are not the decoder's). */
function timedDecode(input: Buffer): { d: Decoded; ms: number } {
  let t0 = performance.now();
  let d = decodePublishRequest(input);
  let ms = performance.now() - t0;
  const allowed = 30 + input.length * 2e-4; // 200 ns per byte: ~100x the measured rate
  for (let i = 0; i < 3 && ms > allowed; i++) {
    t0 = performance.now();
    d = decodePublishRequest(input);
    ms = Math.min(ms, performance.now() - t0);
  }
  return { d, ms };
}

function checkDecoder(input: Buffer): void {
  let d: Decoded;
  let ms: number;
  try {
    ({ d, ms } = timedDecode(input));
  } catch (err) {
    keepFinding(input, `decoder threw: ${(err as Error).stack}`);
    throw err;
  }
  const why = (() => {
    if (ms > 30 + input.length * 2e-4) return `took ${ms.toFixed(1)} ms for ${input.length} bytes`;
    const ref = referenceAccepts(input);
    if (d.ok) {
      if (!ref) return 'accepted, but the reference decoder refuses it';
      const again = decodePublishRequest(Buffer.from(referenceReencode(input)));
      if (!again.ok) return `the reference's re-encoding is refused: ${again.error}`;
      const a = Buffer.from(PublishRequest.encode(d.request).finish());
      const b = Buffer.from(PublishRequest.encode(again.request).finish());
      if (!a.equals(b)) return 'the reference decoder reads it differently';
      if (d.rawEvents.length !== d.request.events.length) return 'rawEvents and events differ in number';
    } else {
      if (d.code !== grpc.status.INVALID_ARGUMENT && d.code !== grpc.status.RESOURCE_EXHAUSTED) return `unexpected code ${d.code}`;
      if (d.code === grpc.status.INVALID_ARGUMENT && !/ at byte \d+: /.test(d.error)) return `refusal without a byte offset: ${d.error}`;
    }
    return undefined;
  })();
  if (why) {
    keepFinding(input, why);
    throw new Error(`${why}\ninput: ${input.toString('hex').slice(0, 400)}`);
  }
}

function run<T>(name: string, arb: fc.Arbitrary<T>, ms: number, pred: (x: T) => void | Promise<void>, async = false) {
  const params: fc.Parameters<[T]> = { numRuns: Number.MAX_SAFE_INTEGER, seed: SEED, plugins: [fc.interruptAfterTimeLimit(ms)] };
  return async () => {
    const details = async
      ? await fc.check(
          fc.asyncProperty(arb, async (x: T) => {
            await pred(x);
          }),
          params,
        )
      : fc.check(
          fc.property(arb, (x: T) => {
            void pred(x);
          }),
          params,
        );
    console.log(`fuzz ${name}: ${details.numRuns} runs in ${(ms / 1000).toFixed(0)} s, seed ${SEED}`);
    if (details.failed) throw new Error(`${fc.defaultReportMessage(details) ?? 'failed'}\n${(details.errorInstance as Error | undefined)?.message ?? ''}`);
    expect(details.numRuns).toBeGreaterThan(100);
  };
}

describe('fuzz: the request decoder', () => {
  it('every corpus file: valid-* accepted, the rest refused, all properties hold', () => {
    for (const { name, bytes } of corpus) {
      checkDecoder(bytes);
      expect(decodePublishRequest(bytes).ok, name).toBe(name.startsWith('valid-'));
    }
  });

  it('mutated corpus and random bytes: never throws, linear time, agrees with the reference decoder', run('decoder', inputArb, BUDGET_MS * 0.55, checkDecoder), BUDGET_MS * 2);

  it(
    'random valid requests are accepted and round-trip exactly',
    run('valid requests', fc.integer(), BUDGET_MS * 0.15, (seed) => {
      const frame = encodeRequest(randomRequest(new Rng(seed)));
      const d = decodePublishRequest(frame);
      if (!d.ok) throw new Error(`${d.error}\n${frame.toString('hex')}`);
      expect(Buffer.from(PublishRequest.encode(d.request).finish()).equals(frame)).toBe(true);
      checkDecoder(frame);
    }),
    BUDGET_MS * 2,
  );
});

describe('fuzz: the Stream handler', () => {
  let receiver: Receiver;
  let raw: RawGrpcClient;
  let sink: MemorySink;
  const app = syntheticApplication({ appId: 'app-fuzz', stagesPerJob: [2], tasksPerStage: 4, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0, startMs: Date.now() - 60_000 });
  let n = 0;
  const goodBatch = (): { frame: Buffer; ids: string[] } => {
    const k = ++n;
    const events: SparkEvent[] = [0, 1].map((i) => ({ ...app[(k + i) % app.length], eventId: `fuzz-${k}-${i}` }));
    return { frame: encodeRequest(PublishRequest.fromPartial({ clientId: `fuzz-${k}`, batchSeq: 1n, events })), ids: events.map((e) => e.eventId) };
  };

  beforeAll(async () => {
    sink = new MemorySink();
    const pipeline = new Pipeline({
      extended: true,
      limits: { maxBatchEvents: 10_000, maxBatchBytes: 8 * 1024 * 1024 },
      route: { topic: 'events', key: 'appId' },
      encoder: sparkMeasureJsonEncoder,
      sink,
      dedupe: { batchWindow: 100_000, eventWindow: 1_000_000 },
      ackTimeoutMs: 10_000,
    });
    receiver = await startReceiver({ host: '127.0.0.1', port: 0, maxBatchBytes: 8 * 1024 * 1024, maxInFlightPerStream: 64, pipeline, log: { info() {}, warn() {}, error() {}, debug() {} }, sinkHealthName: 'sparkwire.memory' });
    raw = new RawGrpcClient(`127.0.0.1:${receiver.port}`);
  });
  afterAll(async () => {
    raw?.close();
    await receiver?.shutdown(500);
  });

  type Part = { t: 'good' } | { t: 'frame'; bytes: Buffer } | { t: 'cut'; keep: number; extra: number };
  const partArb: fc.Arbitrary<Part> = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ t: 'good' as const }) },
    { weight: 3, arbitrary: inputArb.filter((b) => b.length < 64 * 1024).map((bytes) => ({ t: 'frame' as const, bytes })) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('cut' as const), keep: fc.nat(), extra: fc.integer({ min: 1, max: 10_000 }) }) },
  );

  it(
    'every stream acks each batch read before its first bad frame, then ends with a status: never a hang, never a silent OK',
    run(
      'stream handler',
      fc.array(partArb, { minLength: 1, maxLength: 5 }),
      BUDGET_MS * 0.3,
      async (parts) => {
        const frames: Buffer[] = [];
        let expectAcks = 0;
        let bad = false;
        let cut = false;
        const okIds: string[][] = [];
        for (const p of parts) {
          if (bad) break;
          if (p.t === 'cut') {
            const msg = goodBatch().frame;
            const keep = p.keep % (msg.length + 1);
            frames.push(grpcFrame(msg.subarray(0, keep), keep + p.extra));
            bad = cut = true;
            break;
          }
          const { frame, ids } = p.t === 'good' ? goodBatch() : { frame: p.bytes, ids: [] as string[] };
          frames.push(grpcFrame(frame));
          const d = decodePublishRequest(frame);
          if (d.ok || d.batch) {
            expectAcks++;
            okIds.push(ids);
          } else bad = true;
        }
        // after a bad frame the sidecar ignores the rest: send one more good batch to prove it
        // (not after a cut-short message: those bytes would complete it)
        if (bad && !cut) frames.push(grpcFrame(goodBatch().frame));
        const r = await raw.call(STREAM_PATH, Buffer.concat(frames), 10_000);
        const acks = r.messages.map((m) => PublishAck.decode(m));
        const problem =
          r.outcome !== 'status'
            ? `no status (${r.outcome} after ${r.ms} ms)`
            : acks.length !== expectAcks
              ? `${acks.length} acks, expected ${expectAcks}`
              : bad !== (r.code !== grpc.status.OK)
                ? `status ${r.code} ${r.message} for a stream that ${bad ? 'had' : 'had no'} bad frame`
                : undefined;
        if (problem) throw new Error(`${problem}\nparts: ${parts.map((p) => (p.t === 'frame' ? `frame:${p.bytes.toString('hex').slice(0, 120)}` : p.t)).join(' | ')}`);
        const inSink = new Set(sink.records.map((x) => JSON.parse(String(x.value)).eventId as string));
        acks.forEach((a, i) => {
          if (a.errorCode === 0 && okIds[i].length) for (const id of okIds[i]) if (!inSink.has(id)) throw new Error(`acked event ${id} is not in the sink`);
        });
      },
      true,
    ),
    BUDGET_MS * 2,
  );
});
