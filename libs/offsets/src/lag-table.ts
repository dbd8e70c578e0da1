// Lag in seconds, the way kafka-lag-exporter estimates it: a bounded table of sampled
// (log-end offset, time) points per partition. The record at the committed offset C was
// appended when the log end moved from C to C+1; that moment is interpolated between the
// two samples around C+1, and the lag in seconds is now minus that moment.
//
// A flat stretch (no new records) is kept as two points, first and last seen, so records
// that arrive after a quiet period are placed after it, not spread across it. Before the
// oldest point the rate of the whole table is extrapolated.

export interface Point {
  offset: number;
  timeMs: number;
}

export class LogEndTable {
  private points: Point[] = [];

  constructor(private readonly maxPoints = 120) {
    if (maxPoints < 3) throw new Error('maxPoints must be >= 3');
  }

  /** Adds a sample of the log-end offset. A smaller offset (topic truncated or recreated) starts over. */
  add(offset: number, timeMs: number): void {
    const p = this.points;
    const last = p[p.length - 1];
    if (last && offset < last.offset) this.points = [];
    else if (last && offset === last.offset) {
      const prev = p[p.length - 2];
      // Extend the flat stretch: keep its first point, move its last one.
      if (prev && prev.offset === offset) last.timeMs = timeMs;
      else p.push({ offset, timeMs });
      return;
    } else if (last && timeMs < last.timeMs) return;
    this.points.push({ offset, timeMs });
    if (this.points.length > this.maxPoints) this.points.shift();
  }

  get size(): number {
    return this.points.length;
  }

  get latest(): Point | undefined {
    return this.points[this.points.length - 1];
  }

  /** Copy of the points, oldest first (for tests and debugging). */
  snapshot(): Point[] {
    return this.points.map((p) => ({ ...p }));
  }

  /**
   * When the record at `committed` was appended (ms), or undefined when the table cannot
   * say (fewer than two distinct offsets and the record is older than the table).
   */
  appendTimeOf(committed: number): number | undefined {
    const p = this.points;
    const target = committed + 1; // the log end reached C+1 when record C was appended
    if (p.length === 0) return undefined;
    const i = p.findIndex((x) => x.offset >= target);
    if (i < 0) return undefined; // not appended yet as far as the table knows: caught up
    if (i > 0) {
      const a = p[i - 1];
      const b = p[i];
      return a.timeMs + ((target - a.offset) * (b.timeMs - a.timeMs)) / (b.offset - a.offset);
    }
    // Older than the table: extrapolate with the table's overall rate.
    const first = p[0];
    const last = p[p.length - 1];
    if (last.offset === first.offset || last.timeMs === first.timeMs) return undefined;
    const msPerRecord = (last.timeMs - first.timeMs) / (last.offset - first.offset);
    return first.timeMs - (first.offset - target) * msPerRecord;
  }

  /**
   * Lag in seconds of a consumer at `committed` whose partition has log end `logEnd`:
   * 0 when caught up, -1 when unknown. When the record is older than the table and no rate
   * is known, the age of the oldest point is a lower bound and is returned.
   */
  lagSeconds(committed: number, logEnd: number, nowMs: number): number {
    if (committed >= logEnd) return 0;
    const t = this.appendTimeOf(committed);
    if (t !== undefined) return Math.max(0, (nowMs - t) / 1000);
    const first = this.points[0];
    if (first && first.offset > committed) return Math.max(0, (nowMs - first.timeMs) / 1000);
    return -1;
  }
}
