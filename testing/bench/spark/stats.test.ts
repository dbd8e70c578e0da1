import { describe, expect, it } from 'vitest';
import { ratioStats, williamsRows } from './stats';

/** Counts of (arm, position) and of (previous arm, arm) over the rows. */
function balance(rows: number[][], k: number) {
  const pos = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const after = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const r of rows) {
    r.forEach((a, i) => pos[a][i]++);
    for (let i = 1; i < r.length; i++) after[r[i - 1]][r[i]]++;
  }
  return { pos, after };
}

describe('williamsRows', () => {
  for (let k = 1; k <= 7; k++) {
    it(`k=${k}: ${k % 2 ? 2 * k : k} rows, each a permutation, balanced for position and carry-over`, () => {
      const rows = williamsRows(k);
      expect(rows).toHaveLength(k % 2 ? 2 * k : k);
      for (const r of rows) expect([...r].sort((a, b) => a - b)).toEqual([...Array(k).keys()]);
      const { pos, after } = balance(rows, k);
      const perPosition = rows.length / k;
      for (const p of pos) expect(p).toEqual(new Array(k).fill(perPosition));
      if (k > 1) {
        const perPair = (rows.length * (k - 1)) / (k * (k - 1));
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) expect(after[a][b]).toBe(a === b ? 0 : perPair);
      }
    });
  }

  it('odd k: the first k rows alone are not carry-over balanced (why 2k rounds are needed)', () => {
    const { after } = balance(williamsRows(3).slice(0, 3), 3);
    expect(after[0][1]).toBe(2);
    expect(after[1][0]).toBe(0);
  });
});

describe('ratioStats', () => {
  it('geometric mean, median and a t interval that contains it', () => {
    const r = ratioStats([1.01, 1.02, 1.03, 1.0]);
    expect(r.n).toBe(4);
    expect(r.median).toBeCloseTo(1.015, 10);
    expect(r.geoMean).toBeCloseTo(Math.exp((Math.log(1.01) + Math.log(1.02) + Math.log(1.03)) / 4), 10);
    expect(r.lo!).toBeLessThan(r.geoMean);
    expect(r.hi!).toBeGreaterThan(r.geoMean);
    expect(r.p!).toBeGreaterThan(0);
    expect(r.p!).toBeLessThan(0.2);
  });

  it('one round: no interval', () => {
    const r = ratioStats([1.1]);
    expect(r.lo).toBeUndefined();
    expect(r.geoMean).toBeCloseTo(1.1, 10);
  });
});
