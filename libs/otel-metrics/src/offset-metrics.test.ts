// The lag monitor's figures as Prometheus series: names, labels and values.
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, METER_NAME, type Metrics } from './metrics';
import { OffsetMetrics } from './offset-metrics';
import { parsePrometheusText } from './prom-text';

const running: Metrics[] = [];
afterEach(async () => {
  for (const m of running.splice(0)) await m.shutdown();
});

describe('offsets metrics', () => {
  it('per partition lag in records and seconds, offsets, group totals, one-hot status and commits by result', async () => {
    const m = createMetrics({ enabled: true, host: '127.0.0.1', port: 0, path: '/metrics' }, { env: {} });
    running.push(m);
    const { server } = await m.start();
    new OffsetMetrics(m.meterProvider!.getMeter(METER_NAME, '0.1.0')).bind({
      groups: () => [
        {
          group: 'etl',
          status: 'LAGGING',
          totalLag: 30,
          maxLagSeconds: 12.5,
          partitions: [
            { topic: 'orders', partition: 0, committed: 70, logEnd: 100, lag: 30, lagSeconds: 12.5 },
            { topic: 'orders', partition: 1, committed: 50, logEnd: 50, lag: 0, lagSeconds: 0 },
          ],
        },
      ],
      commits: () => new Map([['committed', 4], ['FAILED_PRECONDITION', 1]]),
    });
    const text = await (await fetch(server!.url)).text();
    const all = [...parsePrometheusText(text).values()].flatMap((f) => f.samples);
    const v = (name: string, labels: Record<string, string>) => all.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    expect(v('sparkwire_offsets_lag', { group: 'etl', topic: 'orders', partition: '0' })).toBe(30);
    expect(v('sparkwire_offsets_lag_seconds', { group: 'etl', topic: 'orders', partition: '0' })).toBe(12.5);
    expect(v('sparkwire_offsets_committed_offset', { group: 'etl', topic: 'orders', partition: '1' })).toBe(50);
    expect(v('sparkwire_offsets_log_end_offset', { topic: 'orders', partition: '0' })).toBe(100);
    expect(v('sparkwire_offsets_group_lag', { group: 'etl' })).toBe(30);
    expect(v('sparkwire_offsets_group_max_lag_seconds', { group: 'etl' })).toBe(12.5);
    expect(v('sparkwire_offsets_group_status', { group: 'etl', status: 'LAGGING' })).toBe(1);
    expect(v('sparkwire_offsets_group_status', { group: 'etl', status: 'OK' })).toBe(0);
    expect(v('sparkwire_offsets_commits_total', { result: 'committed' })).toBe(4);
    expect(v('sparkwire_offsets_commits_total', { result: 'UNAVAILABLE' })).toBe(0);
  });
});
