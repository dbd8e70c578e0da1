import { describe, expect, it } from 'vitest';
import { evaluate, Status, worst, type PartitionHistory } from './status-rules';

const cfg = { windowMs: 10_000, stallAfterMs: 4_000 };
const now = 100_000;
type H = Omit<Partial<PartitionHistory>, 'committed' | 'lag'> & { committed?: number; lag?: number };
const h = ({ committed = 10, lag = 5, ...o }: H): PartitionHistory => ({ committed: BigInt(committed), lag: BigInt(lag), lastCommitMs: now - 1000, lastAdvanceMs: now - 1000, samples: [], ...o });
const samples = (lags: number[]) => lags.map((lag, i) => ({ timeMs: now - 9000 + i * 1000, committed: 0n, lag: BigInt(lag) }));

describe('status rules', () => {
  it('OK when caught up, whatever the commit times (a quiet topic is not an alarm)', () => {
    expect(evaluate(h({ lag: 0, lastCommitMs: 0, lastAdvanceMs: 0 }), now, cfg).status).toBe(Status.OK);
    expect(evaluate(h({ committed: -1, lag: 0 }), now, cfg)).toEqual({ status: Status.OK, reason: 'no committed offset, nothing to read' });
  });

  it('STOPPED: records to read and no commit at all, or none within the window', () => {
    expect(evaluate(h({ committed: -1, lag: 3 }), now, cfg).status).toBe(Status.STOPPED);
    expect(evaluate(h({ lastCommitMs: now - 10_000, lastAdvanceMs: now - 10_000 }), now, cfg)).toMatchObject({ status: Status.STOPPED, reason: expect.stringMatching(/no commit for 10s/) });
  });

  it('STALLED: commits still arrive but the offset has not moved for stallAfterMs', () => {
    expect(evaluate(h({ lastCommitMs: now - 500, lastAdvanceMs: now - 4_000 }), now, cfg)).toMatchObject({ status: Status.STALLED, reason: expect.stringMatching(/has not advanced for 4s/) });
  });

  it('LAGGING: advancing, and every lag of the newer half of the window is above every lag of the older half', () => {
    expect(evaluate(h({ samples: samples([10, 30, 20, 40, 35, 60, 55, 80, 70, 90]) }), now, cfg).status).toBe(Status.LAGGING);
  });

  it('OK: advancing with a saw-tooth or shrinking lag', () => {
    expect(evaluate(h({ samples: samples([10, 50, 5, 60, 8, 55, 3, 70, 12, 40]) }), now, cfg).status).toBe(Status.OK);
    expect(evaluate(h({ samples: samples([90, 80, 70, 60, 50, 40]) }), now, cfg).status).toBe(Status.OK);
  });

  it('LAGGING needs enough of a window: 3 samples or half a window are not a trend', () => {
    expect(evaluate(h({ samples: samples([10, 20, 30]) }), now, cfg).status).toBe(Status.OK);
    const short = [0, 1, 2, 3].map((i) => ({ timeMs: now - 3000 + i * 1000, committed: 0n, lag: BigInt(i * 10 + 1) }));
    expect(evaluate(h({ samples: short }), now, cfg).status).toBe(Status.OK);
  });

  it('the group takes its worst partition', () => {
    expect(worst([Status.OK, Status.STALLED, Status.LAGGING])).toBe(Status.STALLED);
    expect(worst([])).toBe(Status.OK);
  });
});
