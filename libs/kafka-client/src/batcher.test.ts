import { describe, expect, it } from 'vitest';
import { recordBytes } from '@sparkwire/pipeline';
import { chunkByBytes, recordRequestBytes, RequestBudget } from './batcher';
import { RECORD_OVERHEAD_BYTES } from './limits';

describe('chunkByBytes', () => {
  it('keeps order and splits even one large batch under the byte cap', () => {
    const rec = (i: number) => ({ topic: 't', key: 'k', value: `${i}`.padEnd(100, 'x') });
    const group = [{ records: Array.from({ length: 50, }, (_, i) => rec(i)) }, { records: [rec(50), rec(51)] }];
    const chunks = chunkByBytes(group, 1000);
    expect(chunks.flat().map((r) => parseInt(r.value as string, 10))).toEqual(Array.from({ length: 52 }, (_, i) => i));
    for (const c of chunks) expect(c.length * (100 + 1 + RECORD_OVERHEAD_BYTES)).toBeLessThanOrEqual(1000);
    expect(chunks.length).toBe(Math.ceil(52 / Math.floor(1000 / (101 + RECORD_OVERHEAD_BYTES))));
  });

  it('counts UTF-8 bytes, not UTF-16 code units (the cause of requests over message.max.bytes)', () => {
    // 200,000 two-byte characters: 400,000 bytes, though value.length is 200,000.
    const rec = (i: number) => ({ topic: 't', key: 'app-1', value: `${i}:${'é'.repeat(200_000)}` });
    expect(recordBytes(rec(0))).toBe(400_002 + 5);
    const chunks = chunkByBytes([{ records: [rec(0), rec(1), rec(2), rec(3)] }], 900 * 1024);
    // The old estimate put all four (1.6 MB) into one request; at most two fit 900 KiB.
    expect(chunks.map((c) => c.length)).toEqual([2, 2]);
    for (const c of chunks) expect(c.reduce((n, r) => n + recordBytes(r) + RECORD_OVERHEAD_BYTES, 0)).toBeLessThanOrEqual(900 * 1024);
  });

  it('sends a record larger than the cap on its own', () => {
    const big = { topic: 't', key: null, value: Buffer.alloc(5000) };
    const small = { topic: 't', key: null, value: 'x' };
    expect(chunkByBytes([{ records: [small, big, small] }], 1000).map((c) => c.length)).toEqual([1, 1, 1]);
  });
});

describe('RequestBudget', () => {
  it('takes records up to maxRecords and maxBytes; the first always fits', () => {
    const b = new RequestBudget(3, 100);
    expect(b.fits(5, 1000)).toBe(true);
    b.add(1, 40);
    expect(b.fits(2, 60)).toBe(true);
    expect(b.fits(2, 61)).toBe(false);
    expect(b.fits(3, 10)).toBe(false);
    b.add(2, 60);
    expect(b.full).toBe(true);
    expect(b.fits(1, 0)).toBe(false);
  });

  it('is full at the byte cap even below maxRecords', () => {
    const b = new RequestBudget(20_000, 900 * 1024);
    b.add(1, 900 * 1024);
    expect(b.full).toBe(true);
    expect(new RequestBudget(20_000, 900 * 1024).full).toBe(false);
  });

  it('a record counts as its UTF-8 key and value plus its framing', () => {
    expect(recordRequestBytes({ topic: 't', key: 'é', value: 'éé' })).toBe(6 + RECORD_OVERHEAD_BYTES);
    expect(recordRequestBytes({ topic: 't', key: null, value: Buffer.alloc(10) }, 64)).toBe(74);
  });
});
