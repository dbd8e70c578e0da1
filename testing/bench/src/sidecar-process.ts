// A /proc sampler for the sidecar's memory and CPU during a benchmark (the sidecar itself
// runs through the kit's spawnSidecar).
import { readFileSync } from 'node:fs';
import { processCpuMs, processMemory, REPO_ROOT } from '@sparkwire/testkit';

export { REPO_ROOT };

// ---------------------------------------------------------------------------
// /proc sampling
// ---------------------------------------------------------------------------

const CLK_TCK = 100; // USER_HZ on Linux

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineCpu(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] || 0);
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
  return { busyMs: ((total - idle) * 1000) / CLK_TCK, totalMs: (total * 1000) / CLK_TCK };
}

export interface CpuSnapshot {
  at: number;
  sidecarMs: number;
  brokerMs: number;
  benchMs: number;
  machineBusyMs: number;
  machineTotalMs: number;
}

export interface CpuUsage {
  /** In cores (1.0 = one core fully busy) over the interval. */
  sidecar: number;
  broker: number;
  loadGenerator: number;
  /** Everything else on the machine (other jobs sharing it). */
  other: number;
  machineBusy: number;
  cores: number;
}

/** Samples the sidecar's RSS every `intervalMs`; CPU is read at snapshot()s. */
export class ProcessSampler {
  private timer?: NodeJS.Timeout;
  peakRss = 0;
  samples = 0;
  readonly timeline: Array<{ t: number; rss: number }> = [];
  private readonly started = performance.now();

  constructor(
    private readonly sidecarPid: number,
    private readonly brokerPid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Peak RSS since the last reset (the phase's own peak). */
  phasePeak = 0;
  resetPhase(): void {
    this.phasePeak = 0;
    this.sample();
  }

  private sample(): void {
    const m = processMemory(this.sidecarPid);
    if (!m) return;
    this.samples++;
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.phasePeak = Math.max(this.phasePeak, m.rss);
    // One point a second is plenty for the record.
    const t = (performance.now() - this.started) / 1000;
    if (this.timeline.length === 0 || t - this.timeline[this.timeline.length - 1].t >= 1) this.timeline.push({ t, rss: m.rss });
  }

  /** VmHWM: the kernel's own peak RSS over the whole life of the process. */
  hwm(): number {
    return processMemory(this.sidecarPid)?.hwm ?? NaN;
  }

  snapshot(): CpuSnapshot {
    const u = process.cpuUsage();
    const m = machineCpu();
    return {
      at: performance.now(),
      sidecarMs: processCpuMs(this.sidecarPid) ?? NaN,
      brokerMs: processCpuMs(this.brokerPid) ?? NaN,
      benchMs: (u.user + u.system) / 1000,
      machineBusyMs: m.busyMs,
      machineTotalMs: m.totalMs,
    };
  }
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
  const wall = b.at - a.at;
  const sidecar = (b.sidecarMs - a.sidecarMs) / wall;
  const broker = (b.brokerMs - a.brokerMs) / wall;
  const loadGenerator = (b.benchMs - a.benchMs) / wall;
  const machineBusy = (b.machineBusyMs - a.machineBusyMs) / wall;
  const cores = (b.machineTotalMs - a.machineTotalMs) / wall;
  return { sidecar, broker, loadGenerator, other: Math.max(0, machineBusy - sidecar - broker - loadGenerator), machineBusy, cores };
}
