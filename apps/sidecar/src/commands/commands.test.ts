// The operator commands without a broker or sidecar: help texts, exit codes of usage errors,
// the pieces (filters, durations, Prometheus parsing). The real runs: test/operator-cli.test.ts
// and testing/spark-e2e/test/report-cli.test.ts.
import { describe, expect, it } from 'vitest';
import { main } from '../cli';
import { SETTINGS } from '../config-sources';
import { parseDuration } from './common';
import { figures, parseProm } from './status';
import { matches } from './tail';
import { Command } from 'commander';
import { addOffsetsCommands, followedGroups } from './offsets';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  return main(['node', 'sparkwire', ...args], { out: (s) => (out += s), err: (s) => (err += s), env }).then((code) => ({ code, out, err }));
}

describe('help texts', () => {
  it('every configuration setting has a description in the schema (libs/sdk/src/config.ts: .describe(...))', () => {
    expect(SETTINGS.filter((s) => !s.description).map((s) => s.key)).toEqual([]);
  });
  it('serve --help says what each option does and its default, never just its key', async () => {
    const r = await run(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--kafka-topic <value> +Topic of the records\. \(default: spark-events; env: SPARKWIRE_KAFKA_TOPIC\)/);
    expect(r.out).toMatch(/--spool-fsync <value> +batch: fdatasync before each ack .*\(batch\|interval\) \(default: batch; env: SPARKWIRE_SPOOL_FSYNC\)/);
    for (const s of SETTINGS) expect(r.out).toContain(s.flag);
  });
  it('a help flag does not set the value: file and environment stay in force', async () => {
    const r = await run(['print-config'], { SPARKWIRE_KAFKA_BROKERS: 'h:1', SPARKWIRE_KAFKA_TOPIC: 'from-env' });
    expect(JSON.parse(r.out).kafka.topic).toBe('from-env');
  });
  it.each(['report', 'tail', 'status', 'lag', 'offsets fetch', 'offsets commit', 'offsets reset'])('%s --help lists its options and the exit codes', async (c) => {
    const r = await run([...c.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Exit codes: 0 ok, 1 failure');
  });
});

describe('exit codes of usage errors: 2', () => {
  it.each([
    [['report']],
    [['report', '--app', 'a', '--output', 'yaml']],
    [['report', '--app', 'a', '--brokers', 'nohost']],
    [['tail', '--since', 'yesterday']],
    [['tail', '--pretty', '--raw']],
    [['tail', '--label', 'novalue']],
    [['status', '--address', 'nohostport']],
    [['offsets', 'commit', '--group', 'g', '--query-id', 'q', '--batch-id', 'x', '--range', 't:0:0:1']],
    [['offsets', 'reset', '--group', 'g', '--topic', 't', '--to', 'middle']],
    [['lag', '--output', 'yaml']],
  ])('%j', async (args) => {
    expect((await run(args as string[])).code).toBe(2);
  });
  it('an unreachable sidecar is a failure (1)', async () => {
    const r = await run(['status', '--address', '127.0.0.1:1', '--timeout-ms', '500', '--no-metrics']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('UNREACHABLE');
  });
});

describe('pieces', () => {
  it('groups the lag monitor follows, from its metrics', () => {
    const text = '# TYPE sparkwire_offsets_group_lag gauge\nsparkwire_offsets_group_lag{group="b"} 3\nsparkwire_offsets_group_lag{group="a\\"x"} 0\nsparkwire_offsets_lag{group="c",topic="t",partition="0"} 1\n';
    expect(followedGroups(text)).toEqual(['a"x', 'b']);
  });
  it('durations', () => {
    expect(['500ms', '90s', '10m', '2h', '1d', '1.5h'].map((d) => parseDuration('--since', d))).toEqual([500, 90_000, 600_000, 7_200_000, 86_400_000, 5_400_000]);
  });
  it('tail filters', () => {
    const r = { name: 'stage_metrics', appId: 'a', appName: 'etl', labels: { team: 'x', env: 'prod' } };
    const f = { appIds: [], appNames: [], labels: [] as [string, string][], names: [] };
    expect(matches(r, f)).toBe(true);
    expect(matches(r, { ...f, appIds: ['b', 'a'], names: ['stage_metrics'] })).toBe(true);
    expect(matches(r, { ...f, appNames: ['other'] })).toBe(false);
    expect(matches(r, { ...f, labels: [['team', 'x'], ['env', 'prod']] })).toBe(true);
    expect(matches(r, { ...f, labels: [['team', 'y']] })).toBe(false);
    expect(matches({ ...r, labels: undefined } as never, { ...f, labels: [['team', 'x']] })).toBe(false);
  });
  it('Prometheus figures and rates', () => {
    const a = parseProm('# HELP x\nsparkwire_events_received_total{event_type="jobStart"} 10\nsparkwire_events_received_total{event_type="taskEnd"} 90\nsparkwire_spool_pending_entries 3\n');
    const b = parseProm('sparkwire_events_received_total{event_type="taskEnd"} 300\nsparkwire_spool_pending_entries 1\n');
    expect(a.get('sparkwire_events_received_total')).toBe(100);
    expect(figures(a, b, 2)).toMatchObject({ eventsReceived: 300, receivedPerSecond: 100, spoolPendingEntries: 1 });
  });
});

describe('offsets reset on a terminal', () => {
  it('asks for --yes (usage error) before touching Kafka', async () => {
    let action: (() => Promise<number>) | undefined;
    const program = new Command('sparkwire').exitOverride();
    addOffsetsCommands(program, { io: { out: () => undefined, err: () => undefined, env: {}, stdoutIsTTY: true }, setAction: (a) => (action = a) });
    await program.parseAsync(['node', 'sparkwire', 'offsets', 'reset', '--group', 'g', '--topic', 't', '--to', 'earliest', '--brokers', '127.0.0.1:1']);
    await expect(action!()).rejects.toThrow(/add --yes to confirm/);
  });
});
