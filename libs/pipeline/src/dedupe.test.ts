import { describe, expect, it } from 'vitest';
import { BatchLedger, EventIdWindow } from './dedupe';

describe('EventIdWindow', () => {
  it('forgets the oldest ids beyond its capacity', () => {
    const w = new EventIdWindow(3);
    for (const id of ['a', 'b', 'c', 'd']) w.add(id);
    expect(w.has('a')).toBe(false);
    expect(w.has('d')).toBe(true);
    expect(w.size).toBe(3);
  });
});

describe('BatchLedger', () => {
  it('remembers a bounded number of batches per client and forgets failures', async () => {
    const l = new BatchLedger(2);
    l.track('c', 1, Promise.resolve({ accepted: 1, duplicates: 0 }));
    l.track('c', 2, Promise.resolve({ accepted: 1, duplicates: 0 }));
    l.track('c', 3, Promise.resolve({ accepted: 1, duplicates: 0 }));
    expect(l.lookup('c', 1)).toBeUndefined();
    expect(l.lookup('c', 3)).toBeDefined();
    const failing = Promise.reject(new Error('x'));
    l.track('c', 4, failing);
    await failing.catch(() => undefined);
    await Promise.resolve();
    expect(l.lookup('c', 4)).toBeUndefined();
    expect(l.lookup('other', 3)).toBeUndefined();
  });
});

describe('EventIdWindow at scale', () => {
  it('keeps exactly the newest ids after many evictions, re-adds included', () => {
    const w = new EventIdWindow(1000);
    for (let i = 0; i < 50_000; i++) w.add(`e${i}`);
    w.add('e49500'); // already present: no effect on order
    expect(w.size).toBe(1000);
    expect(w.has('e48999')).toBe(false);
    expect(w.has('e49000')).toBe(true);
    expect(w.has('e49999')).toBe(true);
    w.delete('e49999');
    expect(w.has('e49999')).toBe(false);
    w.add('x');
    expect(w.has('e49000')).toBe(false);
    expect(w.has('e49001')).toBe(true);
  });
});
