// Writes the fuzzer's seed corpus (fuzz/corpus/*.bin): valid requests (random ones covering
// every field, and a realistic batch), the frames of issue 10 that froze the sidecar or were
// wrongly accepted, and two frames of every malformed kind frame-gen.ts makes. Committed;
// rerun after a schema change if you like (deterministic):
//
//   npx tsx libs/grpc-receiver/fuzz/make-corpus.ts
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublishRequest, SparkEvent } from '@sparkwire/proto';
import { encodeRequest, lenField, MALFORMED_KINDS, malformedFrames, randomRequest, Rng, syntheticApplication } from '@sparkwire/testkit';

const dir = join(import.meta.dirname, 'corpus');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.bin')) rmSync(join(dir, f));
const put = (name: string, b: Uint8Array) => writeFileSync(join(dir, `${name}.bin`), b);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const rng = new Rng(2026);
const valid: Buffer[] = [];
for (let i = 0; i < 12; i++) valid.push(encodeRequest(randomRequest(rng, { maxEvents: 3 })));
valid.forEach((b, i) => put(`valid-random-${String(i).padStart(2, '0')}`, b));
const app = syntheticApplication({ appId: 'app-corpus', stagesPerJob: [2], tasksPerStage: 3, executors: 1, sqlExecutions: 1, failedTasks: 1, streamingProgress: 1, startMs: 1_732_000_000_000 });
put('valid-synthetic-app', encodeRequest(PublishRequest.fromPartial({ clientId: 'corpus', batchSeq: 1n, events: app })));
put('valid-empty', new Uint8Array(0));

// issue 10
put('issue-zero', hex('00'));
put('issue-80-00', hex('8000'));
put('issue-zero-after-field', hex('0a0163 00'));
put('issue-zero-in-event', hex('1a03 0a0161 1a01 00'));
put('issue-length-wraps-2-32', hex('0a 8580808010 6162636465'));
const ev = (id: Buffer) => lenField(3, Buffer.concat([lenField(1, id), lenField(2, Buffer.from('app'))]));
put('issue-utf8-ff', ev(Buffer.from([0x69, 0x64, 0xff, 0x31])));
put('issue-utf8-fe', ev(Buffer.from([0x69, 0x64, 0xfe, 0x31])));
put('issue-length-past-event', hex('1a05 0a7f616263'));
put('valid-int64-above-2-53', encodeRequest(PublishRequest.fromPartial({ clientId: 'c', batchSeq: 2n ** 64n - 1n, events: [SparkEvent.fromPartial({ eventId: 'e', appId: 'a', eventTimeMs: 2n ** 53n + 1n })] })));

malformedFrames(MALFORMED_KINDS.length * 2, 99, valid).forEach((m, i) => put(`malformed-${m.kind}-${i % 2}`, m.frame));
console.log(`wrote ${readdirSync(dir).length} files to ${dir}`);
