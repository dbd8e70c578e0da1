// Micro-benchmark of the request decoder (libs/grpc-receiver/src/decode.ts): the strict
// wire-format validation against the generated decoder alone, on the benchmark's own
// realistic batches (500 taskStart/taskEnd events with metrics, labels). Run it bundled, as
// the sidecar runs (tsx's keepNames would distort it):
//
//   node testing/bench/micro.mjs decode [--batches 400] [--size 500]
import { PublishRequest } from '@sparkwire/proto';
import { decodePublishRequest, requestSchema } from '@sparkwire/grpc-receiver/src/decode';
import { WireValidator } from '@sparkwire/grpc-receiver/src/wire-validate';
import { DEFAULT_DECODE_LIMITS } from '@sparkwire/grpc-receiver/src/decode';
import { BatchBuilder, buildTemplatePool } from './events';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const BATCHES = arg('batches', 400);
const SIZE = arg('size', 500);
const ROUNDS = arg('rounds', 15);

// The decoder before issue 10: the generated decode, then a scan for the event slices.
function oldEventSlices(buf: Buffer, expected: number): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    switch (tag & 7) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const len = varint();
        if (Math.floor(tag / 8) === 3) out.push(buf.subarray(pos, pos + len));
        pos += len;
        break;
      }
      default:
        throw new Error('wire type');
    }
  }
  if (out.length !== expected) throw new Error('count');
  return out;
}

const pool = buildTemplatePool(0, 'protobuf');
const builder = new BatchBuilder('bench-decode', pool);
const frames = Array.from({ length: BATCHES }, (_, i) => builder.build(i + 1, SIZE).bytes);
const events = BATCHES * SIZE;
const bytes = frames.reduce((s, f) => s + f.length, 0);
const validator = new WireValidator(requestSchema(), DEFAULT_DECODE_LIMITS);

let sink = 0;
const variants: Record<string, () => void> = {
  'generated decode + event slices (before)': () => {
    for (const f of frames) {
      const r = PublishRequest.decode(f);
      sink += oldEventSlices(f, r.events.length).length;
    }
  },
  'validate only': () => {
    for (const f of frames) {
      validator.validate(f, { listField: 3, listMax: 10_000 });
      sink += validator.listRanges.length;
    }
  },
  'decodePublishRequest (validate + generated decode + slices)': () => {
    for (const f of frames) {
      const d = decodePublishRequest(f);
      if (!d.ok) throw new Error(d.error);
      sink += d.rawEvents.length;
    }
  },
};

const results: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t0 = process.hrtime.bigint();
    fn();
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    (results[name] ??= []).push(us / events);
  }
}
// The fastest round: on a shared machine the others measure the neighbours too.
const median = (xs: number[]) => Math.min(...xs.slice(1));
console.log(`${BATCHES} batches x ${SIZE} events, ${(bytes / events).toFixed(0)} bytes/event, ${(bytes / 1024 / 1024).toFixed(1)} MiB; fastest of ${ROUNDS - 1} rounds after a warm-up round`);
const before = median(results['generated decode + event slices (before)']);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(`  ${name.padEnd(62)} ${m.toFixed(3)} us/event  ${(bytes / events / m).toFixed(0)} MB/s`);
}
const after = median(results['decodePublishRequest (validate + generated decode + slices)']);
const v = median(results['validate only']);
console.log(`  validation: ${v.toFixed(3)} us/event; decode cost change ${(after - before >= 0 ? '+' : '')}${(after - before).toFixed(3)} us/event = ${(((after - before) / 40) * 100).toFixed(2)}% of the ~40 us/event the sidecar spends in total`);
if (sink < 0) console.log(sink);
