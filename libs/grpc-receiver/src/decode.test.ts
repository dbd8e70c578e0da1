// The request decoder: strict wire format (what protobuf refuses, refused with where and
// what), limits before work, never a throw, never a loop, linear time.
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { PublishRequest, SparkEvent } from '@sparkwire/proto';
import { createRequestDecoder, decodePublishRequest, DEFAULT_DECODE_LIMITS, eventSlices, type Decoded } from './decode';
import { encodeRequest, lenField, malformedFrames, MALFORMED_KINDS, randomRequest, Rng, tag, varint } from '@sparkwire/testkit';
import { firstInvalidUtf8, utf8Valid } from './wire-validate';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const event = (eventId: string, extra: Partial<SparkEvent> = {}) => SparkEvent.fromPartial({ eventId, appId: 'app-1', eventTimeMs: 1_732_000_000_000n, ...extra });
const request = (events: SparkEvent[], extra: Partial<PublishRequest> = {}) => PublishRequest.fromPartial({ clientId: 'c1', batchSeq: 7n, events, ...extra });
const frame = (r: PublishRequest) => encodeRequest(r);

function refused(d: Decoded): { code: number; error: string } {
  if (d.ok) throw new Error('expected a refusal, the frame was accepted');
  return d;
}

describe('the frames that froze the sidecar or were wrongly accepted', () => {
  it.each([
    ['00', '00', '(top level) at byte 0: tag 0x00: field number 0 is not allowed'],
    ['80 00', '8000', '(top level) at byte 0'],
    ['0x00 after a valid field', '0a0163 00', '(top level) at byte 3: tag 0x00'],
    ['0x00 inside an event', '1a03 0a0161 1a01 00', 'events[1] at byte 7: tag 0x00'],
  ])('a zero tag (%s) is INVALID_ARGUMENT naming the byte, and eventSlices does not loop', (_name, bytes, message) => {
    const d = refused(decodePublishRequest(hex(bytes)));
    expect(d.code).toBe(3);
    expect(d.error).toContain(message);
    expect(() => eventSlices(hex(bytes), 0)).toThrow();
  });

  it('refuses invalid UTF-8 instead of replacing it: id\\xff1 and id\\xfe1 are not the same id', () => {
    for (const bad of ['ff', 'fe', 'c080', 'eda080', 'f4908080', 'e282']) {
      const ev = Buffer.concat([lenField(1, Buffer.concat([Buffer.from('id'), hex(bad), Buffer.from('1')])), lenField(2, Buffer.from('app'))]);
      const d = refused(decodePublishRequest(Buffer.concat([lenField(1, Buffer.from('c')), lenField(3, ev)])));
      expect(d.code).toBe(3);
      expect(d.error).toMatch(/^events\[0\]\.event_id at byte 9: invalid UTF-8/);
    }
    // map keys and values, and deep strings
    const labels = lenField(7, Buffer.concat([lenField(1, Buffer.from('team')), lenField(2, hex('ff'))]));
    expect(refused(decodePublishRequest(lenField(3, labels))).error).toMatch(/^events\[0\]\.labels\[0\]\.value at byte \d+: invalid UTF-8/);
  });

  it('refuses length prefixes of 2^32 or more instead of wrapping them (0a 85 80 80 80 10 is not length 5)', () => {
    const d = refused(decodePublishRequest(hex('0a 8580808010 6162636465')));
    expect(d.error).toBe('client_id at byte 0: length prefix 4294967301 is 2^32 or more (it must not wrap around)');
    expect(refused(decodePublishRequest(hex('0a 858080808000 6162636465'))).error).toContain('length prefix varint longer than 5 bytes');
  });

  it('refuses lengths past the end of an event, and fields crossing the end of their message', () => {
    expect(refused(decodePublishRequest(hex('1a05 0a7f616263'))).error).toBe('events[0].event_id at byte 2: length 127 runs past the end of the message (3 bytes left)');
    // the event says 2 bytes; its field 5 (varint) starts inside and would end outside
    expect(refused(decodePublishRequest(hex('1a02 2880 01'))).error).toBe('events[0].event_time_ms at byte 2: truncated varint: it runs past the end of the message');
    expect(refused(decodePublishRequest(hex('1a05 0a01'))).error).toContain('length 5 runs past the end of the message (2 bytes left)');
  });

  it('refuses corrupt wire format: wire types 3/4/6/7, varints over 10 bytes, bad tags, truncated fixed', () => {
    const cases: Array<[string, RegExp]> = [
      ['2b 0801 2c', /groups are not allowed/],
      ['2c', /wire type 4 \(end group\)/],
      ['0e 01', /invalid wire type 6/],
      ['0f 01', /invalid wire type 7/],
      ['10 ffffffffffffffffffff01', /batch_seq at byte 0: varint longer than 10 bytes/],
      ['10 ff', /truncated varint/],
      ['888080808000 01', /tag varint longer than 5 bytes/],
      ['8880808010 01', /tag does not fit in 32 bits/],
      ['80', /truncated tag/],
      ['51 010203', /truncated fixed64: 3 of 8 bytes/],
      ['55 01', /truncated fixed32: 1 of 4 bytes/],
    ];
    for (const [bytes, re] of cases) expect(refused(decodePublishRequest(hex(bytes))).error, bytes).toMatch(re);
  });

  it('refuses a known field with a wire type it cannot have (instead of skipping it as unknown)', () => {
    expect(refused(decodePublishRequest(hex('08 2a'))).error).toBe('client_id at byte 0: wire type 0 (varint) for a string field (wire type 2)');
    expect(refused(decodePublishRequest(hex('0a0163 1803'))).error).toBe('events at byte 3: wire type 0 (varint) for a repeated message field (wire type 2)');
    expect(refused(decodePublishRequest(hex('12 03616263'))).error).toContain('batch_seq at byte 0: wire type 2 (length-delimited) for a varint field');
    expect(refused(decodePublishRequest(hex('1a02 0801'))).error).toBe('events[0].event_id at byte 2: wire type 0 (varint) for a string field (wire type 2)');
  });

  it('refuses a singular message field that occurs twice (protobuf would merge, the generated decoder keep the last)', () => {
    const d = refused(decodePublishRequest(Buffer.concat([lenField(4, hex('0801')), lenField(4, hex('1002'))])));
    expect(d.error).toBe('client_stats at byte 4: a second occurrence of a singular message field');
  });
});

describe('what stays accepted', () => {
  it('repeated scalars packed and unpacked, unknown fields (well-formed), empty frames', () => {
    const packed = lenField(3, lenField(12, lenField(2, Buffer.from([1, 2, 0x80, 0x01]))));
    const unpacked = lenField(3, lenField(12, Buffer.concat([tag(2, 0), varint(1), tag(2, 0), varint(2)])));
    for (const [f, ids] of [
      [packed, [1, 2, 128]],
      [unpacked, [1, 2]],
    ] as const) {
      const d = decodePublishRequest(f);
      expect(d.ok && d.request.events[0].body?.$case === 'jobStart' && d.request.events[0].body.value.stageIds).toEqual(ids);
    }
    const unknown = Buffer.concat([frame(request([event('e1')])), tag(99, 0), varint(5), tag(100, 2), varint(2), Buffer.from('xy'), tag(101, 1), Buffer.alloc(8), tag(102, 5), Buffer.alloc(4)]);
    const d = decodePublishRequest(unknown);
    expect(d.ok && d.request.events.map((e) => e.eventId)).toEqual(['e1']);
    const empty = decodePublishRequest(Buffer.alloc(0));
    expect(empty.ok && empty.request.events).toEqual([]);
  });

  it('full 64-bit values and non-ASCII text pass exactly; rawEvents are views of each event', () => {
    const evs = [event('é-1', { labels: { 'clé': 'välue 🙂' } }), event('id-2')];
    const r = request(evs, { batchSeq: 2n ** 64n - 1n });
    const f = frame(r);
    const d = decodePublishRequest(f);
    if (!d.ok) throw new Error(d.error);
    expect(d.request.batchSeq).toBe(2n ** 64n - 1n);
    expect(d.request.events[0].labels).toEqual({ 'clé': 'välue 🙂' });
    expect(d.rawEvents.map((b) => Buffer.from(b).toString('hex'))).toEqual(evs.map((e) => Buffer.from(SparkEvent.encode(e).finish()).toString('hex')));
    expect(d.rawEvents[0].buffer).toBe(f.buffer);
    expect(eventSlices(f, 2).map((b) => b.length)).toEqual(d.rawEvents.map((b) => b.length));
  });

  it('random valid requests (every field of the schema) decode and round-trip byte for byte', () => {
    const rng = new Rng(42);
    for (let i = 0; i < 300; i++) {
      const f = frame(randomRequest(rng));
      const d = decodePublishRequest(f);
      if (!d.ok) throw new Error(`${d.error}\n${f.toString('hex')}`);
      expect(Buffer.from(PublishRequest.encode(d.request).finish()).equals(f)).toBe(true);
    }
  });
});

describe('strings read by Node from the frame (ValidatedReader)', () => {
  it('decode exactly as the generated decoder does, frames at any offset of a larger buffer included', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 300; i++) {
      const own = frame(randomRequest(rng));
      // grpc-js may hand a frame as a view into a larger buffer: positions must stay relative to the view.
      const padded = Buffer.alloc(own.length + 13, 0xff);
      own.copy(padded, 5);
      const view = padded.subarray(5, 5 + own.length);
      const d = decodePublishRequest(view);
      if (!d.ok) throw new Error(`${d.error}\n${own.toString('hex')}`);
      expect(d.request).toEqual(PublishRequest.decode(own));
    }
  });
});

describe('limits, checked before the work they bound', () => {
  it('a frame over maxBatchBytes is RESOURCE_EXHAUSTED with its batch_seq (so a stream can ack it), without reading its events', () => {
    const dec = createRequestDecoder({ maxBatchBytes: 100 });
    // an event that is malformed inside: not looked at
    const big = Buffer.concat([lenField(1, Buffer.from('client-9')), tag(2, 0), varint(41), lenField(3, Buffer.concat([hex('00'), Buffer.alloc(200, 0x41)]))]);
    const d = dec(big);
    expect(d).toMatchObject({ ok: false, code: 8, error: `batch: ${big.length} bytes exceeds max_batch_bytes 100; send smaller batches`, batch: { clientId: 'client-9', batchSeq: 41n } });
    // a malformed top level is still INVALID_ARGUMENT
    expect(dec(Buffer.concat([big, hex('00')]))).toMatchObject({ ok: false, code: 3 });
  });

  it('more events than maxBatchEvents: refused without validating or decoding the rest', () => {
    const dec = createRequestDecoder({ maxBatchEvents: 3 });
    const evs = Array.from({ length: 5 }, (_, i) => frame(request([event(`e${i}`)])).subarray(0)).map(() => lenField(3, Buffer.from(SparkEvent.encode(event('x')).finish())));
    const bad = lenField(3, hex('00')); // event 5 is malformed: past the limit, not looked at
    const d = dec(Buffer.concat([tag(2, 0), varint(3), ...evs.slice(0, 4), bad]));
    expect(d).toMatchObject({ ok: false, code: 8, error: 'events: 5 events exceed max_batch_events 3; send smaller batches', batch: { batchSeq: 3n } });
  });

  it('string bytes, repeated entries, values in total, nesting depth', () => {
    const long = frame(request([event('e'.repeat(100))]));
    expect(createRequestDecoder({ maxStringBytes: 50 })(long)).toMatchObject({ ok: false, code: 8, error: expect.stringMatching(/^events\[0\]\.event_id at byte \d+: string of 100 bytes exceeds server.maxStringBytes 50$/) });
    const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']));
    const many = frame(request([event('e1', { labels })]));
    expect(createRequestDecoder({ maxRepeatedEntries: 10 })(many)).toMatchObject({ ok: false, code: 8, error: expect.stringMatching(/^events\[0\]\.labels at byte \d+: more than server.maxRepeatedEntries 10 entries/), batch: { clientId: 'c1', batchSeq: 7n } });
    expect(createRequestDecoder({ maxRepeatedEntries: 20 })(many).ok).toBe(true);
    expect(createRequestDecoder({ maxBatchValues: 15 })(many)).toMatchObject({ ok: false, code: 8, error: expect.stringContaining('more than server.maxBatchValues 15') });
    // PublishRequest > SparkEvent > StreamingProgress > StateOperatorProgress > CustomMetricsEntry: 5 levels
    const deep = frame(request([event('e1', { body: { $case: 'streamingProgress', value: { id: 'q', stateOperators: [{ operatorName: 'op', customMetrics: { m: 1n } }] } as never } })]));
    expect(createRequestDecoder({ maxNestingDepth: 5 })(deep).ok).toBe(true);
    expect(createRequestDecoder({ maxNestingDepth: 4 })(deep)).toMatchObject({ ok: false, code: 8, error: expect.stringContaining('events[0].streaming_progress.state_operators[0].custom_metrics at byte') });
  });

  it('an 8 MiB frame of 1-byte-per-value entries (a memory bomb: millions of objects) is refused before decoding', () => {
    // 2-byte empty events: 4M SparkEvent objects if decoded
    const bomb = Buffer.alloc(8 * 1024 * 1024 - 16, 0);
    for (let i = 0; i < bomb.length; i += 2) bomb[i] = 0x1a;
    const t0 = performance.now();
    const d = decodePublishRequest(bomb);
    // ~0.4 s here: a pass over 4M tiny fields, no decoding. The bound only catches a decoder that
    // loops or decodes the objects (minutes); it is wide so a loaded CI machine never trips it.
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(d).toMatchObject({ ok: false, code: 8, error: `events: ${bomb.length / 2} events exceed max_batch_events ${DEFAULT_DECODE_LIMITS.maxBatchEvents}; send smaller batches` });
    // empty labels entries inside one event: 4M map entries
    const entries = Buffer.alloc(4 * 1024 * 1024, 0);
    for (let i = 0; i < entries.length; i += 2) entries[i] = 0x3a;
    expect(decodePublishRequest(lenField(3, entries))).toMatchObject({ ok: false, code: 8, error: expect.stringContaining('server.maxRepeatedEntries') });
  });
});

describe('never throws, never spins', () => {
  // Thousands of frames: on a loaded shared core this passed the 5 s default; a spinning decoder takes far longer than 60 s.
  it('every generated malformed frame is refused, with a path and a byte offset', () => {
    const rng = new Rng(3);
    const bases = Array.from({ length: 200 }, () => frame(randomRequest(rng)));
    const frames = malformedFrames(MALFORMED_KINDS.length * 200, 11, bases);
    for (const m of frames) {
      const d = decodePublishRequest(m.frame);
      if (d.ok) throw new Error(`${m.kind} at ${m.where} accepted: ${m.frame.toString('hex')}`);
      expect(d.code).toBe(3);
      expect(d.error).toMatch(/ at byte \d+: /);
    }
  }, 60_000);

  it('time is linear in the frame size on adversarial inputs (8 MiB in at most ~0.2 s each here)', () => {
    const n = 8 * 1024 * 1024 - 64;
    const inputs: Record<string, Buffer> = {
      'continuation bytes': Buffer.alloc(n, 0x80),
      'one huge unknown varint run': Buffer.concat([tag(99, 0), Buffer.alloc(n, 0xff)]),
      'max-length tags': Buffer.alloc(n, 0xff),
      'many tiny unknown fields': Buffer.from(new Uint8Array(n).map((_, i) => (i % 2 === 0 ? 0xf8 : 0x01))),
      'long non-ASCII client_id': lenField(1, Buffer.from('é'.repeat(n / 2 - 8))),
      'one long event with 500k unknown fields': lenField(3, Buffer.from(new Uint8Array(n - 16).map((_, i) => (i % 2 === 0 ? 0x50 : 0x01)))),
    };
    for (const [name, b] of Object.entries(inputs)) {
      const t0 = performance.now();
      const d = createRequestDecoder({ maxBatchBytes: 16 * 1024 * 1024 })(b);
      const ms = performance.now() - t0;
      // A quadratic or looping decoder takes minutes; the bound is wide so a loaded machine never trips it.
      expect(ms, `${name}: ${ms.toFixed(0)} ms`).toBeLessThan(30_000);
      expect(typeof d.ok).toBe('boolean');
    }
  });

  // Well under a second alone, seconds on a loaded shared core; a spinning decoder takes far longer.
  it('random bytes never throw out of the decoder', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 20_000; i++) {
      const b = rng.bytes(rng.int(64));
      expect(() => decodePublishRequest(b)).not.toThrow();
    }
  }, 60_000);
});

describe('UTF-8 validation', () => {
  it('agrees with node:buffer isUtf8 on random and edge-case bytes, short and long', () => {
    const rng = new Rng(5);
    const pieces = [[0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xc1, 0xbf], [0x80], [0x41]];
    for (let i = 0; i < 30_000; i++) {
      const parts: number[] = [];
      const n = rng.int(i % 10 === 0 ? 60 : 8);
      for (let j = 0; j < n; j++) parts.push(...(rng.chance(0.7) ? rng.pick(pieces) : [rng.int(256)]));
      const b = Buffer.from(parts);
      const want = isUtf8(b);
      expect(utf8Valid(b, 0, b.length), b.toString('hex')).toBe(want);
      expect(firstInvalidUtf8(b, 0, b.length) < 0).toBe(want);
    }
  });
});
