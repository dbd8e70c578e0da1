import { describe, expect, it } from 'vitest';
import { chunkByBytes } from './kafka-sink';

describe('chunkByBytes', () => {
  it('keeps order and splits even one large batch under the byte cap', () => {
    const rec = (i: number) => ({ topic: 't', key: 'k', value: `${i}`.padEnd(100, 'x') });
    const group = [{ records: Array.from({ length: 50, }, (_, i) => rec(i)) }, { records: [rec(50), rec(51)] }];
    const chunks = chunkByBytes(group, 1000);
    expect(chunks.flat().map((r) => parseInt(r.value as string, 10))).toEqual(Array.from({ length: 52 }, (_, i) => i));
    for (const c of chunks) expect(c.length * (100 + 1 + 64)).toBeLessThanOrEqual(1000);
    expect(chunks.length).toBe(Math.ceil(52 / 6));
  });
});
