import { describe, expect, it } from 'vitest';
import { MapEventIdWindow } from '@sparkwire/testkit';
import { BatchLedger, EventIdWindow, batchFingerprint, sameFingerprint } from './dedupe';

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
    const fp = batchFingerprint([{ eventId: 'e1' }]);
    l.track('c', 1n, fp, Promise.resolve({ accepted: 1, duplicates: 0 }));
    l.track('c', 2n, fp, Promise.resolve({ accepted: 1, duplicates: 0 }));
    l.track('c', 3n, fp, Promise.resolve({ accepted: 1, duplicates: 0 }));
    expect(l.lookup('c', 1n)).toBeUndefined();
    expect(l.lookup('c', 3n)?.fingerprint).toEqual(fp);
    const failing = Promise.reject(new Error('x'));
    l.track('c', 4n, fp, failing);
    await failing.catch(() => undefined);
    await Promise.resolve();
    expect(l.lookup('c', 4n)).toBeUndefined();
    expect(l.lookup('other', 3n)).toBeUndefined();
  });

  it('keys on the exact uint64 batch_seq: seqs a double cannot tell apart are different batches', () => {
    const l = new BatchLedger(10);
    const seq = 2n ** 53n;
    l.track('c', seq, batchFingerprint([{ eventId: 'a' }]), Promise.resolve({ accepted: 1, duplicates: 0 }));
    expect(l.lookup('c', seq + 1n)).toBeUndefined();
    expect(l.lookup('c', 2n ** 53n)).toBeDefined();
    l.track('c', 2n ** 64n - 1n, batchFingerprint([{ eventId: 'b' }]), Promise.resolve({ accepted: 1, duplicates: 0 }));
    expect(l.lookup('c', 2n ** 64n - 1n)).toBeDefined();
  });

  it('a reused seq replaces the entry with the newer content', () => {
    const l = new BatchLedger(10);
    const a = batchFingerprint([{ eventId: 'a' }]);
    const b = batchFingerprint([{ eventId: 'b' }]);
    l.track('c', 7n, a, Promise.resolve({ accepted: 1, duplicates: 0 }));
    l.track('c', 7n, b, Promise.resolve({ accepted: 1, duplicates: 0 }));
    expect(sameFingerprint(l.lookup('c', 7n)!.fingerprint, b)).toBe(true);
  });
});

describe('batchFingerprint', () => {
  const ids = (...xs: string[]) => xs.map((eventId) => ({ eventId }));
  it('is the same for the same ids in the same order, different for other ids, order, splits or counts', () => {
    const base = batchFingerprint(ids('app-1-1', 'app-1-2', 'app-1-3'));
    expect(sameFingerprint(base, batchFingerprint(ids('app-1-1', 'app-1-2', 'app-1-3')))).toBe(true);
    for (const other of [ids('app-1-1', 'app-1-2', 'app-1-4'), ids('app-1-2', 'app-1-1', 'app-1-3'), ids('app-1-1', 'app-1-2'), ids('app-1-1app-1-2', 'app-1-3'), ids('app-1-1', 'app-1-2', 'app-1-3', '')]) {
      expect(sameFingerprint(base, batchFingerprint(other)), JSON.stringify(other)).toBe(false);
    }
  });
  it('tells apart ids that differ in one code unit, including U+FFFD and unnormalized forms', () => {
    // Ids are compared exactly as decoded: NFC and NFD are different ids, and U+FFFD is just a character
    // (the receiver refuses invalid UTF-8 instead of decoding it to U+FFFD, so it never merges two ids).
    const variants = ['id\ufffd1', 'id\u00fe1', 'id\u00ff1', 'caf\u00e9', 'cafe\u0301'];
    const fps = variants.map((v) => batchFingerprint(ids(v)));
    for (let i = 0; i < fps.length; i++) for (let j = i + 1; j < fps.length; j++) expect(sameFingerprint(fps[i], fps[j])).toBe(false);
  });
  it('has no collisions over 200,000 similar single-id and two-id batches', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      for (const b of [ids(`app-20261124120000-0001-${i}`), ids(`e${i}`, `e${i + 1}`)]) {
        const f = batchFingerprint(b);
        seen.add(`${f.count}:${f.a}:${f.b}`);
      }
    }
    expect(seen.size).toBe(200_000);
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

describe('EventIdWindow against a model (the Map window it replaced)', () => {
  // A small deterministic generator, so a failure replays.
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return s / 0x100000000;
    };
  }

  // Small tables (4 to 64 pairs) make home buckets collide and probe chains wrap around the
  // end of the table, which is where the backward shift on removal can go wrong.
  for (const [capacity, universe] of [
    [0, 10],
    [1, 5],
    [3, 12],
    [7, 40],
    [32, 200],
    [1000, 5000],
  ] as const) {
    it(`answers like the model: capacity ${capacity}, ${universe} distinct ids, random add/has/delete`, () => {
      for (let seed = 1; seed <= 5; seed++) {
        const next = rng(seed * 7919 + capacity);
        const w = new EventIdWindow(capacity);
        const m = new MapEventIdWindow(capacity);
        // The first divergence, if any (one expect per step would dominate the run time).
        let diverged = '';
        for (let step = 0; step < 20_000 && !diverged; step++) {
          const id = `app-${Math.floor(next() * universe)}`;
          const op = next();
          if (op < 0.55) {
            w.add(id);
            m.add(id);
          } else if (op < 0.9) {
            if (w.has(id) !== m.has(id)) diverged = `step ${step}: has(${id}) is ${w.has(id)}, the model says ${m.has(id)}`;
          } else {
            w.delete(id);
            m.delete(id);
          }
          if (w.size !== m.size) diverged = `step ${step}: size ${w.size}, the model says ${m.size}`;
        }
        expect(diverged, `seed ${seed}`).toBe('');
        for (let u = 0; u < universe; u++) expect(w.has(`app-${u}`), `seed ${seed} app-${u}`).toBe(m.has(`app-${u}`));
      }
    });
  }

  it('compares ids exactly: ids that differ in one code unit or only in normalization are different', () => {
    const w = new EventIdWindow(10);
    w.add('caf\u00e9');
    expect(w.has('cafe\u0301')).toBe(false);
    expect(w.has('caf\u00e9')).toBe(true);
    w.add('id\ufffd1');
    expect(w.has('id\u00fe1')).toBe(false);
    expect(w.has('')).toBe(false);
    w.add('');
    expect(w.has('')).toBe(true);
  });
});
