// Status of a consumer partition from rules over a sliding window, after Burrow's, with
// fixed durations instead of Burrow's commit-count window. Evaluated in this order, the
// first rule that matches wins:
//
//   1. OK       nothing to read: lag 0 (also with no commit on an empty partition). Unlike
//               Burrow, a quiet topic with a caught-up consumer is never an alarm.
//   2. STOPPED  lag > 0 and the group has no committed offset for the partition, or its last
//               commit is at least windowMs old: nobody is consuming.
//   3. STALLED  lag > 0, commits arrive (the last one is younger than windowMs) but the
//               committed offset has not advanced for stallAfterMs.
//   4. LAGGING  lag > 0, the offset advances, and the lag grew across the window: every lag
//               sampled in the newer half of the window is above every lag sampled in the
//               older half (a consistent rise, not the saw-tooth of batch commits). Needs
//               at least 4 samples spanning half a window.
//   5. OK       otherwise: the offset advances and the lag is steady or shrinking.
//
// Commits are seen two ways: commits through sparkwire (also no-op re-commits) and a
// committed offset that changed between two polls (commits by other tools). Ages count from
// when the sidecar first saw the partition, so a sidecar that just started gives a silent
// group one window before calling it STOPPED.

export enum Status {
  OK = 1,
  LAGGING = 2,
  STALLED = 3,
  STOPPED = 4,
}

export const STATUS_NAMES: Record<Status, string> = {
  [Status.OK]: 'OK',
  [Status.LAGGING]: 'LAGGING',
  [Status.STALLED]: 'STALLED',
  [Status.STOPPED]: 'STOPPED',
};

export interface RuleConfig {
  windowMs: number;
  stallAfterMs: number;
}

// Offsets and lags are Kafka's int64s, exact (bigint).
export interface LagSample {
  timeMs: number;
  committed: bigint;
  lag: bigint;
}

export interface PartitionHistory {
  /** -1 without a committed offset. */
  committed: bigint;
  lag: bigint;
  /** Last commit seen (any commit, also one that did not move the offset). */
  lastCommitMs: number;
  /** Last time the committed offset moved. */
  lastAdvanceMs: number;
  /** Samples inside the window, oldest first. */
  samples: LagSample[];
}

export interface Verdict {
  status: Status;
  reason: string;
}

const secs = (ms: number) => `${Math.round(ms / 100) / 10}s`;

export function evaluate(h: PartitionHistory, nowMs: number, cfg: RuleConfig): Verdict {
  if (h.lag <= 0n) return { status: Status.OK, reason: h.committed < 0n ? 'no committed offset, nothing to read' : 'caught up' };
  if (h.committed < 0n) return { status: Status.STOPPED, reason: `no committed offset and ${h.lag} records to read` };
  const sinceCommit = nowMs - h.lastCommitMs;
  if (sinceCommit >= cfg.windowMs) return { status: Status.STOPPED, reason: `no commit for ${secs(sinceCommit)} (window ${secs(cfg.windowMs)}), lag ${h.lag}` };
  const sinceAdvance = nowMs - h.lastAdvanceMs;
  if (sinceAdvance >= cfg.stallAfterMs) {
    return { status: Status.STALLED, reason: `committed offset ${h.committed} has not advanced for ${secs(sinceAdvance)} (stallAfter ${secs(cfg.stallAfterMs)}), lag ${h.lag}` };
  }
  const w = h.samples.filter((s) => s.timeMs >= nowMs - cfg.windowMs);
  if (w.length >= 4 && w[w.length - 1].timeMs - w[0].timeMs >= cfg.windowMs / 2) {
    const mid = (w[0].timeMs + w[w.length - 1].timeMs) / 2;
    const older = w.filter((s) => s.timeMs < mid);
    const newer = w.filter((s) => s.timeMs >= mid);
    if (older.length > 0 && newer.length > 0) {
      const maxOld = older.reduce((m, s) => (s.lag > m ? s.lag : m), older[0].lag);
      const minNew = newer.reduce((m, s) => (s.lag < m ? s.lag : m), newer[0].lag);
      if (minNew > maxOld) return { status: Status.LAGGING, reason: `lag grew across the window: at most ${maxOld} in its older half, at least ${minNew} in its newer half` };
    }
  }
  return { status: Status.OK, reason: 'committed offset advancing, lag not growing' };
}

/** The group's status: its worst partition's. */
export function worst(statuses: Status[]): Status {
  return statuses.reduce((a, b) => (b > a ? b : a), Status.OK);
}
