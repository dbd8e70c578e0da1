import { describe, expect, it } from 'vitest';
import { LogEndTable } from './lag-table';

describe('LogEndTable (lag in seconds)', () => {
  it('interpolates when the record at the committed offset was appended', () => {
    const t = new LogEndTable();
    t.add(100, 0);
    t.add(200, 10_000);
    // Record 149 was appended when the log end reached 150: halfway, at 5 s.
    expect(t.appendTimeOf(149)).toBe(5_000);
    expect(t.lagSeconds(149, 200, 20_000)).toBe(15);
  });

  it('caught up is 0 s', () => {
    const t = new LogEndTable();
    t.add(100, 0);
    expect(t.lagSeconds(100, 100, 50_000)).toBe(0);
  });

  it('keeps a quiet stretch as its first and last sample, so records after it are not spread across it', () => {
    const t = new LogEndTable();
    t.add(100, 0);
    t.add(200, 10_000);
    t.add(200, 50_000);
    t.add(200, 100_000);
    t.add(300, 110_000);
    expect(t.snapshot()).toEqual([
      { offset: 100, timeMs: 0 },
      { offset: 200, timeMs: 10_000 },
      { offset: 200, timeMs: 100_000 },
      { offset: 300, timeMs: 110_000 },
    ]);
    // Record 200 came right after the quiet stretch, not 50 s into it.
    expect(t.appendTimeOf(200)).toBeCloseTo(100_100, 0);
    // Record 150 was appended before it.
    expect(t.appendTimeOf(150)).toBeCloseTo(5_100, 0);
  });

  it('extrapolates with the table\'s rate before its oldest point', () => {
    const t = new LogEndTable();
    t.add(1000, 10_000);
    t.add(2000, 20_000); // 100 records/s
    expect(t.appendTimeOf(499)).toBe(5_000);
  });

  it('with one point and an older record, the age of that point is a lower bound; nothing known is -1', () => {
    const t = new LogEndTable();
    expect(t.lagSeconds(0, 10, 1_000)).toBe(-1);
    t.add(500, 10_000);
    expect(t.lagSeconds(100, 500, 30_000)).toBe(20);
  });

  it('is bounded, and starts over when the log end goes backwards (topic recreated)', () => {
    const t = new LogEndTable(5);
    for (let i = 1; i <= 10; i++) t.add(i * 10, i * 1000);
    expect(t.size).toBe(5);
    expect(t.snapshot()[0]).toEqual({ offset: 60, timeMs: 6000 });
    t.add(3, 11_000);
    expect(t.snapshot()).toEqual([{ offset: 3, timeMs: 11_000 }]);
  });
});
