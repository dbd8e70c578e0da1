import { describe, expect, it } from 'vitest';
import type { Arm } from './arms';
import { markdown, stageVsDisabled, summarize, verdicts, type Run } from './report';

function run(round: number, position: number, arm: Arm, jobS: number, ok = true): Run {
  return { round, position, arm, ok, ...(ok ? {} : { error: 'listener-disabled run not verified: 0 io.sparkwire.spark.SparkwireListener on the listener bus, expected 1' }), jobS: ok ? jobS : NaN, drainS: 0, startupS: 1, stopS: 1, processS: 20, load1: 0.5, sidecarCpuS: 0.1, brokerCpuS: 0.1 };
}

const geo = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

// six rounds (balanced for three arms): the disabled listener costs d, sparkwire's work s on top of it
const D = [1.004, 1.006, 1.005, 1.007, 1.003, 1.005];
const S = [1.002, 1.004, 1.001, 1.003, 1.002, 1.004];
function rounds(opts: { failDisabledIn?: number; stage?: boolean } = {}): Run[] {
  const out: Run[] = [];
  for (let k = 1; k <= 6; k++) {
    const none = 10 + k * 0.01;
    out.push(run(k, 0, 'none', none));
    out.push(run(k, 1, 'listener-disabled', none * D[k - 1], opts.failDisabledIn !== k));
    if (opts.stage !== false) out.push(run(k, 2, 'sparkwire-stage', none * D[k - 1] * S[k - 1]));
  }
  return out;
}
const ARMS3: Arm[] = ['none', 'listener-disabled', 'sparkwire-stage'];
const ctx = { command: 'npx tsx testing/bench/spark/run.ts --rounds 6 --tasks 50000 --warmup-tasks 5000 --arms none,listener-disabled,sparkwire-stage', tasks: 50_000, warmupTasks: 5000, nice: 0, tookS: 600, loadBefore: [0.1, 0.2, 0.3], order: 'Williams design' };

describe('summarize with listener-disabled', () => {
  it('the disabled arm gets its ratio to none; stage / disabled is paired per round', () => {
    const s = summarize(rounds(), ARMS3, {});
    const dis = s.arms.find((a) => a.arm === 'listener-disabled')!;
    expect(dis.ratio!.n).toBe(6);
    expect(dis.ratio!.geoMean).toBeCloseTo(geo(D), 10);
    expect(s.pairedStage!.n).toBe(6);
    expect(s.pairedStage!.geoMean).toBeCloseTo(geo(S), 10);
    // the geometric means multiply over the same rounds: stage = disabled x (stage / disabled)
    const stage = s.arms.find((a) => a.arm === 'sparkwire-stage')!;
    expect(stage.ratio!.geoMean).toBeCloseTo(dis.ratio!.geoMean * s.pairedStage!.geoMean, 12);
    expect(s.paired).toBeUndefined();
  });

  it('no pairing without both arms, and no change to the default report', () => {
    expect(summarize(rounds({ stage: false }), ['none', 'listener-disabled'], {}).pairedStage).toBeUndefined();
    const four = summarize([run(1, 0, 'none', 10), run(1, 1, 'sparkwire-stage', 10.1)], ['none', 'sparkwire-extended', 'sparkwire-stage', 'sparkmeasure'], {});
    expect(four.pairedStage).toBeUndefined();
    expect('pairedStage' in four).toBe(false);
    expect(stageVsDisabled(four)).toBeUndefined();
  });

  it('a failed disabled run drops that round from the pairing', () => {
    const s = summarize(rounds({ failDisabledIn: 3 }), ARMS3, {});
    expect(s.pairedStage!.n).toBe(5);
    expect(s.arms.find((a) => a.arm === 'listener-disabled')!.failed).toHaveLength(1);
  });
});

describe('the report', () => {
  it('a labeled ratio row for the disabled arm and the paired paragraph saying how much is Spark\'s own', () => {
    const runs = rounds();
    for (const r of runs) if (r.arm === 'listener-disabled') r.integrity = { ok: true, summary: 'registered and disabled: 1 io.sparkwire.spark.SparkwireListener on the bus with no client', records: 0, names: {} };
    const s = summarize(runs, ARMS3, {});
    const md = markdown(runs, s, ctx);
    const row = md.split('\n').find((l) => l.startsWith("| sparkwire listener registered, disabled (Spark's listener-bus cost alone) |"));
    expect(row).toBeDefined();
    expect(row).toContain(`**${(s.arms[1].ratio!.median).toFixed(3)}**`);
    expect(row).toContain('6/6 runs passed; last: registered and disabled');
    const para = stageVsDisabled(s)!;
    expect(md).toContain(para);
    expect(para).toContain(`stage / disabled ${geo(S).toFixed(3)}`);
    expect(para).toContain('6 rounds');
    expect(para).toMatch(new RegExp(`Spark's listener bus with one registered listener accounts for ${geo(D).toFixed(3)} \\(\\+0\\.5%; listener-disabled / none, \\d+% of the stage level's overhead on the log scale\\)`));
    expect(para).toContain("is below the stage-level target of 1.01x, leaving sparkwire's own work x1.005");
    // the per-round table has a column for the arm, with its ratio to none
    expect(md).toContain('| round | order | none | listener-disabled | sparkwire-stage |');
    // it is not a target: the verdicts are the stage-level one only
    expect(verdicts(s).map((v) => v.target)).toEqual(['sparkwire stage level <= 1.01x']);
  });

  it('says when Spark\'s own cost alone is at or above the stage-level target', () => {
    const runs = rounds().map((r) => (r.arm === 'none' ? r : { ...r, jobS: r.jobS * 1.01 }));
    const para = stageVsDisabled(summarize(runs, ARMS3, {}))!;
    expect(para).toMatch(/already at or above the stage-level target of 1\.01x: no listener registered through spark\.extraListeners can meet it/);
  });

  it('a failed disabled run: its row is not published and the pairing is not evaluated', () => {
    const runs = rounds({ failDisabledIn: 2 });
    const s = summarize(runs, ARMS3, {});
    const md = markdown(runs, s, ctx);
    expect(md).toMatch(/\| sparkwire listener registered, disabled \(Spark's listener-bus cost alone\) \| 6 \(1\) \| not published .*FAILED: round 2: listener-disabled run not verified/);
    expect(stageVsDisabled(s)).toBe('sparkwire stage level vs the sparkwire listener registered, disabled (paired per round): not evaluated (failed runs).');
    expect(md).toContain('not evaluated (failed runs).');
  });
});
