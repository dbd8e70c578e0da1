// Scenario 9: 10,000 generated malformed frames, half to Publish and half to Stream, against
// the real sidecar process (its bundle, file sink). Each kind of frame-gen.ts takes its turn
// (single 00 / 80 00 / a 00 after a valid field, truncated and bit-flipped valid requests,
// random bytes, wrong wire types, invalid UTF-8, lengths past the end, length prefixes of 2^32
// or more, varints over 10 bytes, bad tags, groups, wire types 6/7, truncated fixed fields,
// malformed unknown fields, a message field twice), plus absurd numbers (wire-valid batches
// with impossible event times) and streams whose last gRPC message is shorter than its
// declared length. Every Stream carries a valid batch first, which must be acked and land in
// the sink. After every 1,000 frames the sidecar must answer health and a valid Publish within
// 2 s. Every malformed frame must get a non-OK status (or, on a stream, a refusing ack), and
// the frames protobuf's own decoder (upb, via the project's Python environment) refuses are
// counted: the sidecar must refuse every one of them.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ListenerServiceClient, PublishAck, PublishRequest, type SparkEvent } from '@sparkwire/proto';
import { encodeRequest, grpcFrame, type MalformedFrame, malformedFrames, PUBLISH_PATH, randomRequest, type RawCallResult, RawGrpcClient, Rng, STREAM_PATH } from '@sparkwire/testkit';
import { templateEvents } from '../src/loadgen';
import { cleanup, MiB, ROOT, RSS_BOUND, Sidecar, sleep, tempDir, waitFor } from '../src/harness';
import { recordResult } from '../src/report';

const TOTAL = Number(process.env.SPARKWIRE_HOSTILE_FRAMES ?? 10_000);
const CHECK_EVERY = 1_000;
const CONCURRENCY = 32;
const DEADLINE_MS = 2_000;

let dir: string;
let sidecar: Sidecar | undefined;

beforeAll(() => {
  dir = tempDir('hostile');
});
afterAll(async () => {
  await sidecar?.stop('SIGKILL');
  cleanup(dir);
});

type Kind = MalformedFrame['kind'] | 'absurd-numbers' | 'stream-cut-short';
interface Case {
  kind: Kind;
  frame: Buffer;
  via: 'publish' | 'stream';
}

const template = templateEvents('app-hostile');
const realistic = (prefix: string, n: number): SparkEvent[] => Array.from({ length: n }, (_, i) => ({ ...template[(i + 5) % template.length], eventId: `${prefix}-${i}`, appId: 'app-hostile' }));

/** upb's verdict per frame (true = accepted), or undefined without the project's Python environment. */
function upbVerdicts(frames: Buffer[]): { impl: string; accepted: boolean[] } | undefined {
  const python = join(ROOT, '.venv/bin/python');
  if (!existsSync(python)) return undefined;
  const file = join(dir, 'frames.bin');
  writeFileSync(
    file,
    Buffer.concat(
      frames.flatMap((f) => {
        const n = Buffer.alloc(4);
        n.writeUInt32BE(f.length);
        return [n, f];
      }),
    ),
  );
  try {
    const out = execFileSync(python, [join(ROOT, 'testing/fault-injection/src/reference_decoder.py'), file], {
      env: { ...process.env, PYTHONPATH: join(ROOT, 'libs/python/src') },
      maxBuffer: 64 * MiB,
    }).toString();
    const [impl, verdicts] = out.trim().split('\n');
    return { impl, accepted: [...verdicts].map((c) => c === '1') };
  } catch (err) {
    console.warn(`reference decoder not run: ${(err as Error).message}`);
    return undefined;
  }
}

/** Event ids in the file sink, and records present more than once (same event id and record name). */
function sinkEventIds(eventsDir: string): Set<string> & { duplicates?: number } {
  const ids: Set<string> & { duplicates?: number } = new Set<string>();
  const records = new Set<string>();
  let duplicates = 0;
  if (!existsSync(eventsDir)) return ids;
  for (const f of readdirSync(eventsDir)) {
    for (const line of readFileSync(join(eventsDir, f), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const o = JSON.parse(line);
        ids.add(o.eventId);
        const k = `${o.eventId}\u0000${o.name}`;
        if (records.has(k)) duplicates++;
        records.add(k);
      } catch {
        /* a line being written */
      }
    }
  }
  ids.duplicates = duplicates;
  return ids;
}

const withDeadline = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => Promise.race([p, sleep(ms).then(() => 'timeout' as const)]);

describe('hostile frames', () => {
  it(`9. ${TOTAL.toLocaleString('en-US')} generated malformed frames to Publish and Stream: all refused, the sidecar responsive at every 1,000`, async () => {
    const eventsDir = join(dir, 'events');
    sidecar = await Sidecar.start({ args: ['--extended', '--file-dir', eventsDir] });
    const s = sidecar;
    const t0 = Date.now();

    // The frames: bases to mutate are random valid requests (every field of the schema) and realistic batches.
    const rng = new Rng(20_261_201);
    const bases = [...Array.from({ length: 300 }, () => encodeRequest(randomRequest(rng))), ...Array.from({ length: 50 }, (_, i) => encodeRequest(PublishRequest.fromPartial({ clientId: 'base', batchSeq: BigInt(i + 1), events: realistic(`base-${i}`, 3) })))];
    const absurd = Math.round(TOTAL * 0.03);
    const cut = Math.round(TOTAL * 0.03);
    const cases: Case[] = malformedFrames(TOTAL - absurd - cut, 9, bases).map((m, i) => ({ kind: m.kind, frame: m.frame, via: i % 2 === 0 ? 'publish' : 'stream' }));
    const times = [-1n, 0n, 2n ** 63n - 1n, -(2n ** 63n), 1n, 4_102_444_800_000n /* 2100 */];
    for (let i = 0; i < absurd; i++) {
      const evs = realistic(`absurd-${i}`, 2).map((e, j) => ({ ...e, eventTimeMs: times[(i + j) % times.length] }));
      cases.push({ kind: 'absurd-numbers', frame: encodeRequest(PublishRequest.fromPartial({ clientId: `absurd-${i}`, batchSeq: 1n, events: evs })), via: i % 2 === 0 ? 'publish' : 'stream' });
    }
    for (let i = 0; i < cut; i++) {
      const whole = encodeRequest(PublishRequest.fromPartial({ clientId: `cut-${i}`, batchSeq: 2n, events: realistic(`cut-${i}`, 2) }));
      cases.push({ kind: 'stream-cut-short', frame: whole.subarray(0, rng.int(whole.length)), via: 'stream' });
    }
    // interleave the kinds over time
    for (let i = cases.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [cases[i], cases[j]] = [cases[j], cases[i]];
    }

    const sessions = Array.from({ length: 4 }, () => new RawGrpcClient(s.address));
    const client = new ListenerServiceClient(s.address, grpc.credentials.createInsecure());
    const ackedIds: string[] = [];
    const results: Array<{ refused: boolean; how: string; firstAckOk: boolean }> = new Array(cases.length);
    const checkpoints: Array<{ at: number; healthMs: number; publishMs: number; ok: boolean }> = [];
    let validInStreams = 0;
    /** Events of batches sent after a malformed frame on the same stream: never read, so never in the sink. */
    const ignoredIds: string[] = [];

    const send = async (i: number): Promise<void> => {
      const c = cases[i];
      const raw = sessions[i % sessions.length];
      if (c.via === 'publish') {
        const r = await raw.call(PUBLISH_PATH, grpcFrame(c.frame), 15_000);
        results[i] = { refused: r.outcome === 'status' && r.code !== 0, how: r.outcome === 'status' ? `status ${r.code}` : r.outcome, firstAckOk: true };
        return;
      }
      // A stream: a valid batch first (it must be acked and published), then the bad frame, then one more valid batch (ignored).
      const good = realistic(`hs-${i}`, 2);
      const first = encodeRequest(PublishRequest.fromPartial({ clientId: `hs-${i}`, batchSeq: 1n, events: good }));
      const after = encodeRequest(PublishRequest.fromPartial({ clientId: `hs-${i}`, batchSeq: 3n, events: realistic(`hs-after-${i}`, 1) }));
      const body =
        c.kind === 'stream-cut-short'
          ? Buffer.concat([grpcFrame(first), grpcFrame(c.frame, c.frame.length + 1 + (i % 500))])
          : Buffer.concat([grpcFrame(first), grpcFrame(c.frame), grpcFrame(after)]);
      const r: RawCallResult = await raw.call(STREAM_PATH, body, 15_000);
      const acks = r.messages.map((m) => PublishAck.decode(m));
      const firstAckOk = acks.length >= 1 && acks[0].errorCode === 0 && acks[0].accepted === good.length;
      if (firstAckOk) {
        validInStreams++;
        ackedIds.push(...good.map((e) => e.eventId));
      }
      // After a batch refused for its content the stream goes on: the batch after it is acked too.
      if (c.kind === 'absurd-numbers' && acks.length === 3 && acks[2].errorCode === 0) ackedIds.push(`hs-after-${i}-0`);
      else ignoredIds.push(`hs-after-${i}-0`);
      // refused: the stream ended non-OK after the first ack, or (a batch refused for its content) its own ack carries the code
      const refusedByAck = acks.length >= 2 && acks[1].errorCode !== 0;
      const refusedByStatus = r.outcome === 'status' && r.code !== 0 && acks.length === 1;
      results[i] = { refused: refusedByAck || refusedByStatus, how: refusedByAck ? `ack ${acks[1].errorCode}` : r.outcome === 'status' ? `status ${r.code}` : r.outcome, firstAckOk };
    };

    const checkpoint = async (at: number) => {
      const h0 = Date.now();
      const health = await withDeadline(s.health('').catch(() => 'error'), DEADLINE_MS);
      const healthMs = Date.now() - h0;
      const evs = realistic(`checkpoint-${at}`, 5);
      const p0 = Date.now();
      const res = await withDeadline(
        new Promise<number>((resolve) =>
          client.publish(PublishRequest.fromPartial({ clientId: 'checkpoint', batchSeq: BigInt(at), events: evs }), new grpc.Metadata(), { deadline: Date.now() + DEADLINE_MS }, (e, r) => resolve(e ? -1 : r!.accepted)),
        ),
        DEADLINE_MS + 500,
      );
      const publishMs = Date.now() - p0;
      const ok = health === 'SERVING' && res === evs.length && s.alive;
      if (res === evs.length) ackedIds.push(...evs.map((e) => e.eventId));
      checkpoints.push({ at, healthMs, publishMs, ok });
    };

    for (let from = 0; from < cases.length; from += CHECK_EVERY) {
      const to = Math.min(cases.length, from + CHECK_EVERY);
      let next = from;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < to) await send(next++);
        }),
      );
      await checkpoint(to);
    }
    const sendS = (Date.now() - t0) / 1000;
    for (const x of sessions) x.close();
    client.close();

    // Every acked valid event in the sink, by id (the file sink fsyncs each batch before the ack).
    let inSink = sinkEventIds(eventsDir);
    await waitFor(
      'acked events in the sink',
      () => {
        inSink = sinkEventIds(eventsDir);
        return ackedIds.every((id) => inSink.has(id));
      },
      10_000,
      250,
    ).catch(() => undefined);
    const missing = ackedIds.filter((id) => !inSink.has(id));
    const ignored = new Set(ignoredIds);
    const malformedIdsInSink = [...inSink].filter((id) => /^(absurd|cut|base)-/.test(id) || ignored.has(id)).length;

    // protobuf's own decoder on the same frames (the Publish payloads and the bad frame of each stream)
    const upb = upbVerdicts(cases.map((c) => c.frame));
    const wireCases = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.kind !== 'stream-cut-short');
    const upbRefused = upb ? wireCases.filter(({ i }) => !upb.accepted[i]) : [];
    const upbRefusedAccepted = upbRefused.filter(({ i }) => !results[i].refused).length;
    const upbAcceptedWeRefused = upb ? wireCases.filter(({ i }) => upb.accepted[i] && results[i].refused).length : 0;

    const notRefused = cases.map((c, i) => ({ c, r: results[i] })).filter(({ r }) => !r.refused);
    const byKind: Record<string, number> = {};
    for (const c of cases) byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
    const hows: Record<string, number> = {};
    for (const r of results) hows[r.how] = (hows[r.how] ?? 0) + 1;
    const streams = cases.filter((c) => c.via === 'stream').length;
    const responsive = checkpoints.filter((c) => c.ok).length;
    const durationS = (Date.now() - t0) / 1000;
    const malformedCounted = await s.metric('sparkwire_grpc_malformed_frames_total').catch(() => undefined);
    const alive = s.alive;
    const passed = (inSink.duplicates ?? 0) === 0 && notRefused.length === 0 && responsive === checkpoints.length && missing.length === 0 && validInStreams === streams && alive && upbRefusedAccepted === 0 && malformedIdsInSink === 0 && s.maxRssBytes < RSS_BOUND;
    recordResult({
      id: '9-hostile-frames',
      title: `9. ${cases.length.toLocaleString('en-US')} generated malformed frames to Publish and Stream (file sink)`,
      mode: 'quick',
      passed,
      acked: ackedIds.length,
      inKafka: ackedIds.length - missing.length,
      lost: missing.length,
      duplicates: inSink.duplicates ?? 0,
      maxRssMiB: s.maxRssBytes / MiB,
      durationS,
      figures: {
        'frames sent (Publish / Stream)': `${cases.length - streams} / ${streams}`,
        'frames refused': `${cases.length - notRefused.length} of ${cases.length}`,
        'refused with': Object.entries(hows)
          .sort()
          .map(([k, v]) => `${k.replace('status 3', 'INVALID_ARGUMENT').replace('status 8', 'RESOURCE_EXHAUSTED').replace('ack 3', 'ack INVALID_ARGUMENT')} ${v}`)
          .join(', '),
        'kinds (frames each)': Object.entries(byKind)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
        [`frames protobuf's decoder (Python protobuf, ${upb?.impl ?? 'n/a'}) refuses / of them accepted by the sidecar`]: upb ? `${upbRefused.length} / ${upbRefusedAccepted}` : 'n/a (no .venv)',
        'refused by the sidecar though upb accepts them (wrong wire types, groups, a message field twice, absurd event times)': upb ? upbAcceptedWeRefused : 'n/a',
        'checkpoints responsive (health and a valid Publish within 2 s)': `${responsive}/${checkpoints.length}`,
        'slowest checkpoint health / Publish (ms)': `${Math.max(...checkpoints.map((c) => c.healthMs))} / ${Math.max(...checkpoints.map((c) => c.publishMs))}`,
        'valid batches before the bad frame on a stream, acked': `${validInStreams} of ${streams}`,
        'acked events missing from the sink': missing.length,
        'events of malformed frames in the sink': malformedIdsInSink,
        'time sending (s)': sendS,
        sparkwire_grpc_malformed_frames_total: malformedCounted ?? 'n/a',
      },
    });
    expect(notRefused.map(({ c, r }) => `${c.kind} via ${c.via}: ${r.how} ${c.frame.toString('hex').slice(0, 80)}`).slice(0, 10)).toEqual([]);
    expect(checkpoints.filter((c) => !c.ok)).toEqual([]);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(validInStreams).toBe(streams);
    expect(malformedIdsInSink).toBe(0);
    expect(inSink.duplicates).toBe(0);
    expect(upbRefusedAccepted).toBe(0);
    expect(alive).toBe(true);
    expect(s.maxRssBytes).toBeLessThan(RSS_BOUND);
    expect(durationS).toBeLessThan(60);
    await s.stop();
  });
});
