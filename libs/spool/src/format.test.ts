// The bytes on disk: CRC-32, the payload codec and the entry reader on damaged files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutRecord } from '@sparkwire/pipeline';
import * as zlib from 'node:zlib';
import { crc32, crc32Implementation, crc32Table } from './crc32';
import { decodePayload, encodePayload, payloadSummary } from './entry-codec';
import { EntryReader, fileHeader, frameEntry, type BadRange } from './segment-format';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'spool-fmt-'));
  dirs.push(d);
  return d;
};

describe('crc32', () => {
  it('matches the standard check value, natively and by table', () => {
    const data = Buffer.from('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Table(data)).toBe(0xcbf43926);
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));
    expect(crc32(random)).toBe(crc32Table(random));
    // Continuing from a previous value equals the CRC of the concatenation.
    expect(crc32(random.subarray(100), crc32(random.subarray(0, 100)))).toBe(crc32(random));
    expect(crc32Table(random.subarray(100), crc32Table(random.subarray(0, 100)))).toBe(crc32(random));
  });

  it('is the SIMD one where @node-rs/crc32 has a binary (linux-x64) and equals node:zlib on views at any offset', () => {
    expect(crc32Implementation).toBe('node-rs');
    const big = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24));
    for (const len of [0, 1, 31, 32, 33, 1000, 65_537]) {
      const view = big.subarray(5, 5 + len);
      expect(crc32(view)).toBe(zlib.crc32(view) >>> 0);
      expect(crc32(view, 0xdeadbeef)).toBe(zlib.crc32(view, 0xdeadbeef) >>> 0);
    }
  });
});

describe('payload codec', () => {
  it('round-trips text and binary values, null keys, several topics and non-ASCII text', () => {
    const records: OutRecord[] = [
      { topic: 'spark-events', key: 'app-1', value: '{"name":"stage_metrics","eventId":"e1"}' },
      { topic: 'spark-tasks', key: null, value: Buffer.from([0, 1, 2, 255]) },
      { topic: 'spark-events', key: 'appé-ü', value: 'zażółć gęślą jaźń ✓' },
      { topic: 'spark-events', key: '', value: '' },
    ];
    const buf = encodePayload(records, ['e1', 'e2', 'é3']);
    const back = decodePayload(buf);
    expect(back.eventIds).toEqual(['e1', 'e2', 'é3']);
    expect(back.records).toEqual(records);
    expect(typeof back.records[0].value).toBe('string');
    expect(Buffer.isBuffer(back.records[1].value)).toBe(true);
    expect(payloadSummary(buf)).toEqual({ topics: ['spark-events', 'spark-tasks'], records: 4, eventIds: ['e1', 'e2', 'é3'] });
  });

  it('refuses a truncated payload instead of returning garbage', () => {
    const buf = encodePayload([{ topic: 't', key: 'k', value: 'v'.repeat(100) }], ['id']);
    expect(() => decodePayload(buf.subarray(0, buf.length - 10))).toThrow(/truncated/);
  });
});

async function writeSegment(entries: Buffer[], withHeader = true): Promise<{ path: string; offsets: number[]; size: number }> {
  const path = join(tmp(), 'segment-0000000000000001.swl');
  const parts = withHeader ? [fileHeader()] : [];
  const offsets: number[] = [];
  let at = withHeader ? 16 : 0;
  for (const e of entries) {
    offsets.push(at);
    parts.push(e);
    at += e.length;
  }
  writeFileSync(path, Buffer.concat(parts));
  return { path, offsets, size: at };
}

async function readAll(path: string, start = 16, chunk = 1024 * 1024): Promise<{ seqs: number[]; bad: BadRange[] }> {
  const fh = await open(path, 'r');
  const size = (await fh.stat()).size;
  const bad: BadRange[] = [];
  const reader = new EntryReader(fh, start, size, (b) => bad.push(b), 0, chunk);
  const seqs: number[] = [];
  for (let e = await reader.next(); e; e = await reader.next()) seqs.push(e.seq);
  await fh.close();
  return { seqs, bad };
}

const entry = (seq: number, n = 50) => frameEntry(seq, 1_700_000_000_000 + seq, encodePayload([{ topic: 't', key: `k${seq}`, value: 'x'.repeat(n) }], [`id-${seq}`]));

describe('entry reader', () => {
  it('reads every entry back, also across small read chunks', async () => {
    const { path } = await writeSegment(Array.from({ length: 20 }, (_, i) => entry(i + 1, i * 37)));
    expect((await readAll(path)).seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await readAll(path, 16, 64)).seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('a flipped byte in the middle: that entry is reported, the ones before and after are kept', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(i + 1));
    const { path, offsets } = await writeSegment(entries);
    const fh = await open(path, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offsets[4] + 40);
    b[0] ^= 0x5a;
    await fh.write(b, 0, 1, offsets[4] + 40);
    await fh.close();
    const { seqs, bad } = await readAll(path);
    expect(seqs).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(bad).toEqual([{ offset: offsets[4], length: offsets[5] - offsets[4], reason: 'CRC mismatch' }]);
  });

  it('a damaged length field is caught by the CRC too', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => entry(i + 1));
    const { path, offsets } = await writeSegment(entries);
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from([0x01, 0, 0, 0]), 0, 4, offsets[2] + 4);
    await fh.close();
    const { seqs, bad } = await readAll(path);
    expect(seqs).toEqual([1, 2, 4, 5]);
    expect(bad[0].offset).toBe(offsets[2]);
  });

  it('a torn tail (the file cut anywhere) keeps every complete entry and reports the rest', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => entry(i + 1, 200));
    const { path, offsets, size } = await writeSegment(entries);
    const full = Buffer.concat([fileHeader(), ...entries]);
    for (const cut of [offsets[3] + 1, offsets[3] + 20, offsets[3] + 33, offsets[4] - 1, size - 1]) {
      writeFileSync(path, full.subarray(0, cut));
      const { seqs, bad } = await readAll(path);
      const complete = offsets.filter((o, i) => o + entries[i].length <= cut).length;
      expect(seqs).toEqual(Array.from({ length: complete }, (_, i) => i + 1));
      expect(bad).toHaveLength(1);
      expect(bad[0].offset + bad[0].length).toBe(cut);
    }
  });

  it('random damage never throws and never returns an entry whose CRC does not match', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => entry(i + 1, (i * 53) % 400));
    const clean = Buffer.concat([fileHeader(), ...entries]);
    const { path } = await writeSegment(entries);
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 200; round++) {
      const buf = Buffer.from(clean);
      const hits = 1 + Math.floor(rand() * 8);
      for (let h = 0; h < hits; h++) buf[16 + Math.floor(rand() * (buf.length - 16))] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? Math.floor(rand() * buf.length) : buf.length;
      writeFileSync(path, buf.subarray(0, cut));
      const { seqs } = await readAll(path, 16, 256);
      // Whatever survives is a strictly increasing subset of the original entries.
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
      for (const s of seqs) expect(s).toBeGreaterThanOrEqual(1);
      for (const s of seqs) expect(s).toBeLessThanOrEqual(30);
    }
  });
});
