// The batch CRC against the Kafka library's own and against the standard's check value.
import * as plt from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { loadCrc32c } from './crc32c';

describe('loadCrc32c', () => {
  const { crc32c, implementation } = loadCrc32c((b) => plt.crc32c(b));

  it('is the native CRC where @node-rs/crc32 (a dependency of this package) has a binary, as on linux-x64', () => {
    expect(implementation).toBe('native');
  });

  it('gives CRC-32C: the check value of "123456789" and the library\'s value on buffers of every size, at any offset', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    let seed = 7;
    const big = Buffer.alloc(70_000);
    for (let i = 0; i < big.length; i++) big[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (const len of [0, 1, 7, 8, 15, 64, 667, 668, 4096, 65_537]) {
      const view = big.subarray(3, 3 + len); // a view at an odd offset of a larger buffer, as batches' CRC ranges are
      expect(crc32c(view)).toBe(plt.crc32c(view));
    }
  });

  it('falls back to the given function when the native package does not load', () => {
    const calls: number[] = [];
    const fallback = (b: Buffer) => (calls.push(b.length), plt.crc32c(b));
    const missing = loadCrc32c(fallback, (id) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    });
    expect(missing.implementation).toBe('library');
    expect(missing.crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(calls).toEqual([9]);
    // A package without the function (another version's shape) is not used either.
    expect(loadCrc32c(fallback, () => ({})).implementation).toBe('library');
  });
});
