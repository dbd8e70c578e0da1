import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink } from './file-sink';

const rec = (i: number) => ({ topic: 't', key: 'app', value: JSON.stringify({ i, pad: 'x'.repeat(100) }) });

describe('FileSink', () => {
  it('writes one JSON object per line and rotates, keeping the newest maxFiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-file-'));
    const sink = new FileSink({ dir, prefix: 'ev', maxBytes: 1000, maxFiles: 3 });
    await sink.start();
    expect(sink.isReady()).toBe(true);
    for (let i = 0; i < 40; i++) await sink.write([rec(i)]);
    await sink.close();
    const files = sink.files();
    expect(files).toHaveLength(3);
    const lines = files.flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'));
    const seen = lines.map((l) => JSON.parse(l).i);
    // The newest records survive, in order, and no file passes its size cap.
    expect(seen[seen.length - 1]).toBe(39);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    for (const f of files) expect(readFileSync(f).length).toBeLessThanOrEqual(1000);
  });

  it('keeps concurrent batches whole and in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-file-'));
    const sink = new FileSink({ dir, prefix: 'ev', maxBytes: 1 << 20, maxFiles: 3 });
    await sink.start();
    await Promise.all(Array.from({ length: 20 }, (_, b) => sink.write([rec(b * 2), rec(b * 2 + 1)])));
    await sink.close();
    const seen = readFileSync(sink.files()[0], 'utf8').trim().split('\n').map((l) => JSON.parse(l).i);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await expect(sink.write([rec(1)])).rejects.toThrow('closed');
  });

  it('wraps binary (protobuf) values as base64', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-file-'));
    const sink = new FileSink({ dir, prefix: 'ev', maxBytes: 1 << 20, maxFiles: 3 });
    await sink.start();
    await sink.write([{ topic: 't', key: null, value: Buffer.from([1, 2, 3]) }]);
    await sink.close();
    expect(JSON.parse(readFileSync(sink.files()[0], 'utf8'))).toEqual({ topic: 't', key: null, valueBase64: 'AQID' });
  });
});
