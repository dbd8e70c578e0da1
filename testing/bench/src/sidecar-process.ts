// The sidecar as users run it: `node apps/sidecar/bin/sparkwire.js serve ...` in its own
// process, its address taken from its JSON log, ready once grpc health says the Kafka
// sink is SERVING. Plus a /proc sampler for its memory and CPU.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const BIN = resolve(REPO_ROOT, 'apps/sidecar/bin/sparkwire.js');
const HEALTH_PROTO = resolve(REPO_ROOT, 'node_modules/grpc-health-check/proto');

export interface SidecarOptions {
  /** Arguments after `serve --server-port 0`. */
  args: string[];
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** The script to run (default apps/sidecar/bin/sparkwire.js), e.g. a bundled build. */
  bin?: string;
  startTimeoutMs?: number;
}

export interface SidecarProcess {
  proc: ChildProcess;
  pid: number;
  address: string;
  /** The Prometheus endpoint (from the 'telemetry' log line), when metrics are on. */
  metricsUrl?: string;
  logs: string[];
  health(service: string): Promise<string>;
  /** One scrape of the Prometheus endpoint: sample (name, with its labels if any) -> value. */
  scrape(timeoutMs?: number): Promise<Map<string, number>>;
  waitServing(service: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

export async function startSidecar(opts: SidecarOptions): Promise<SidecarProcess> {
  // A taken metrics port ends the process: a free one unless the caller asks for one.
  const metrics = opts.args.some((a) => a.startsWith('--metrics-port') || a.startsWith('--metrics-enabled')) ? [] : ['--metrics-port', '0'];
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), opts.bin ? resolve(opts.bin) : BIN, 'serve', '--server-port', '0', ...metrics, ...opts.args], {
    cwd: REPO_ROOT,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPARKWIRE_'))),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a sidecar behind when the bench dies.
  const killAtExit = () => proc.kill('SIGKILL');
  process.once('exit', killAtExit);
  const logs: string[] = [];
  let metricsUrl: string | undefined;
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      process.removeListener('exit', killAtExit);
      r(code);
    }),
  );
  const address = await new Promise<string>((resolvePromise, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`sidecar did not start:\n${logs.slice(-20).join('\n')}`)), opts.startTimeoutMs ?? 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        if (logs.length > 2000) logs.splice(0, 1000);
        try {
          const o = JSON.parse(line);
          if (o.msg === 'telemetry' && typeof o.metrics?.endpoint === 'string') {
            metricsUrl = o.metrics.endpoint.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:');
          }
          if (o.msg === 'sparkwire sidecar listening') {
            clearTimeout(timer);
            resolvePromise(o.address);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sidecar exited with ${code}:\n${logs.slice(-20).join('\n')}`));
    });
  });
  const def = protoLoader.loadSync('health/v1/health.proto', { enums: String, includeDirs: [HEALTH_PROTO] });
  const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health;
  const healthClient = new Health(address, grpc.credentials.createInsecure());
  const health = (service: string) =>
    new Promise<string>((res, rej) => healthClient.check({ service }, (e: Error | null, r: { status: string }) => (e ? rej(e) : res(r.status))));
  return {
    proc,
    pid: proc.pid!,
    address,
    metricsUrl,
    logs,
    health,
    async scrape(timeoutMs = 5_000) {
      if (!metricsUrl) throw new Error('the sidecar serves no Prometheus endpoint (metrics off?)');
      const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`${metricsUrl}: HTTP ${res.status}`);
      return parsePromSamples(await res.text());
    },
    async waitServing(service, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      let last = 'no answer';
      while (Date.now() < end) {
        try {
          last = await health(service);
          if (last === 'SERVING') return;
        } catch (err) {
          last = (err as Error).message;
        }
        await sleep(100);
      }
      throw new Error(`sidecar health ${service} not SERVING within ${timeoutMs} ms (last: ${last})`);
    },
    async stop(graceMs = 20_000) {
      healthClient.close();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Prometheus text format -> sample name (with its `{labels}` as written) -> value; comments skipped. */
export function parsePromSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const close = line.lastIndexOf('}');
    const sep = line.indexOf(' ', close >= 0 ? close : 0);
    if (sep < 0) continue;
    const value = Number(line.slice(sep + 1).trim().split(' ')[0]);
    if (!Number.isNaN(value)) out.set(line.slice(0, sep), value);
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// /proc sampling
// ---------------------------------------------------------------------------

const CLK_TCK = 100; // USER_HZ on Linux

/** utime+stime of a process in ms, from /proc/<pid>/stat; undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ".
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM (peak RSS) in bytes, from /proc/<pid>/status. */
export function processMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

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
