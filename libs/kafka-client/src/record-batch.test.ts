// The RecordBatch writer against @platformatic/kafka's own reader (an independent
// implementation of the format) and its CRC-32C; the broker's view is in
// test/kafka-client.int.test.ts.
import * as zlib from 'node:zlib';
import * as plt from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { nextSequence, ProduceRequests } from './produce-requests';
import { recordBatch, type BatchRecord } from './record-batch';

const opts = { producerId: 4242n, producerEpoch: 3, baseSequence: 17, timestampMs: 1_764_000_000_123, crc32c: (b: Buffer) => plt.crc32c(b) };

function read(buf: Buffer) {
  const batch = plt.readRecordsBatch(plt.Reader.from(buf));
  return { batch, crcOk: plt.crc32c(buf.subarray(21)) === buf.readUInt32BE(17) };
}

const records = (n: number, size: (i: number) => number): BatchRecord[] =>
  Array.from({ length: n }, (_, i) => ({ key: i % 3 === 2 ? null : Buffer.from(`app-${i % 2}`), value: Buffer.alloc(size(i), String.fromCharCode(97 + (i % 26))) }));

describe('recordBatch', () => {
  it('writes what a Kafka reader reads back: header fields, CRC, every key and value in order', () => {
    // Sizes around the varint steps (1, 2 and 3 bytes) and an empty value.
    const rs = records(300, (i) => [0, 1, 63, 64, 127, 128, 8191, 8192, 16383, 16384, 20_000, 668][i % 12]);
    const buf = recordBatch(rs, opts);
    const { batch, crcOk } = read(buf);
    expect(crcOk).toBe(true);
    expect(batch).toMatchObject({ firstOffset: 0n, length: buf.length - 12, magic: 2, attributes: 0, lastOffsetDelta: 299, firstTimestamp: 1_764_000_000_123n, maxTimestamp: 1_764_000_000_123n, producerId: 4242n, producerEpoch: 3, firstSequence: 17 });
    expect(batch.records).toHaveLength(300);
    batch.records.forEach((r, i) => {
      expect(r.offsetDelta).toBe(i);
      expect(r.timestampDelta).toBe(0n);
      expect(r.headers).toEqual([]);
      expect(r.key === null || r.key === undefined || r.key.length === 0 ? null : Buffer.from(r.key).toString()).toBe(rs[i].key?.toString() ?? null);
      expect(Buffer.compare(Buffer.from(r.value!), rs[i].value)).toBe(0);
    });
  });

  // zstd is node:zlib's (Node 22.15+): on Node 20 only gzip and lz4 (the whole suite runs on 24 too).
  const codecs = ['gzip', 'lz4', ...(typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function' ? ['zstd' as const] : [])] as const;
  it.each(codecs)('%s: the records compressed, the codec in attributes, read back the same', (name) => {
    const algo = plt.compressionsAlgorithms[name];
    const rs = records(50, (i) => 100 + i * 7);
    const buf = recordBatch(rs, { ...opts, compression: { bitmask: algo.bitmask, compress: (b) => algo.compressSync(b) } });
    const { batch, crcOk } = read(buf);
    expect(crcOk).toBe(true);
    expect(batch.attributes & 7).toBe(algo.bitmask);
    expect(batch.records.map((r) => Buffer.from(r.value!).toString())).toEqual(rs.map((r) => r.value.toString()));
    expect(buf.length).toBeLessThan(recordBatch(rs, opts).length);
  });

  it('refuses an empty batch', () => {
    expect(() => recordBatch([], opts)).toThrow(/at least one record/);
  });
});

describe('sequence numbers and versions', () => {
  it('wrap to 0 after 2^31 - 1 as the broker expects', () => {
    expect(nextSequence(0, 5)).toBe(5);
    expect(nextSequence(0x7fffffff - 5, 5)).toBe(0x7fffffff);
    expect(nextSequence(0x7fffffff - 4, 5)).toBe(0);
    expect(nextSequence(0x7fffffff, 3)).toBe(2);
  });

  it('speaks Produce v9..v11 only, the highest the broker has', () => {
    const api = (minVersion: number, maxVersion: number) => [{ apiKey: 0, minVersion, maxVersion }];
    expect(ProduceRequests.versionFor(api(3, 12))).toBe(11);
    expect(ProduceRequests.versionFor(api(0, 9))).toBe(9);
    expect(ProduceRequests.versionFor(api(0, 8))).toBeUndefined();
    expect(ProduceRequests.versionFor([{ apiKey: 3, minVersion: 0, maxVersion: 12 }])).toBeUndefined();
  });
});
