// The lag monitor's figures on the metrics endpoint, read at collection time from the
// monitor's last poll (libs/offsets; structurally, otel-metrics does not depend on it).
import type { BatchObservableResult, Meter } from '@opentelemetry/api';
import { OFFSETS_METRICS as M } from './catalog';
import { observableCounter, observableGauge } from './instruments';

export interface GroupLagView {
  group: string;
  /** OK, LAGGING, STALLED or STOPPED. */
  status: string;
  /** Offsets and lags are Kafka's int64s (bigint from libs/offsets); gauges are doubles: Number() here. */
  totalLag: number | bigint;
  maxLagSeconds: number;
  partitions: { topic: string; partition: number; committed: number | bigint; logEnd: number | bigint; lag: number | bigint; lagSeconds: number }[];
}

export interface OffsetsView {
  groups(): GroupLagView[];
  /** Commit calls by result. */
  commits(): Map<string, number>;
}

const STATUSES = ['OK', 'LAGGING', 'STALLED', 'STOPPED'];
const RESULTS = ['committed', 'already_committed', 'FAILED_PRECONDITION', 'UNAVAILABLE'];

export class OffsetMetrics {
  private view?: OffsetsView;

  constructor(meter: Meter) {
    const lag = observableGauge(meter, M.lag);
    const lagSeconds = observableGauge(meter, M.lagSeconds);
    const committed = observableGauge(meter, M.committed);
    const logEnd = observableGauge(meter, M.logEnd);
    const groupLag = observableGauge(meter, M.groupLag);
    const groupMax = observableGauge(meter, M.groupMaxLagSeconds);
    const groupStatus = observableGauge(meter, M.groupStatus);
    const commits = observableCounter(meter, M.commits);
    meter.addBatchObservableCallback(
      (r: BatchObservableResult) => {
        const v = this.view;
        if (!v) return;
        const ends = new Map<string, { topic: string; partition: string; end: number }>();
        for (const g of v.groups()) {
          for (const p of g.partitions) {
            const a = { group: g.group, topic: p.topic, partition: String(p.partition) };
            r.observe(lag, Number(p.lag), a);
            r.observe(lagSeconds, p.lagSeconds, a);
            r.observe(committed, Number(p.committed), a);
            ends.set(`${p.topic}-${p.partition}`, { topic: p.topic, partition: a.partition, end: Number(p.logEnd) });
          }
          r.observe(groupLag, Number(g.totalLag), { group: g.group });
          r.observe(groupMax, g.maxLagSeconds, { group: g.group });
          for (const s of STATUSES) r.observe(groupStatus, s === g.status ? 1 : 0, { group: g.group, status: s });
        }
        for (const e of ends.values()) r.observe(logEnd, e.end, { topic: e.topic, partition: e.partition });
        const c = new Map<string, number>(RESULTS.map((k) => [k, 0]));
        for (const [k, n] of v.commits()) c.set(k, n);
        for (const [k, n] of c) r.observe(commits, n, { result: k });
      },
      [lag, lagSeconds, committed, logEnd, groupLag, groupMax, groupStatus, commits],
    );
  }

  bind(view: OffsetsView): void {
    this.view = view;
  }
}
