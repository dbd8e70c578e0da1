// The sidecar as its own process, the way users run it, for every test suite, the
// benchmarks and the quickstart. Ready means the documented ready line of the log
// (SIDECAR_READY_MESSAGE), which carries the bound addresses: no port is guessed or polled.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STATE_DIR_ENV } from '@sparkwire/spool';
// The module itself, not the SDK's index: that would load the whole pipeline into every test.
import { SIDECAR_READY_MESSAGE } from '@sparkwire/sdk/ready';
import { envWithout } from './env';
import { healthClient, type HealthClient } from './health';
import { SIDECAR_BIN } from './paths';
import { processMemory } from './proc-stats';
import { parsePromSamples, promValue } from './prom';
import { waitFor } from './wait';

export { SIDECAR_READY_MESSAGE };

export interface SpawnSidecarOptions {
  /** Flags after `serve` (and after the ones below, so they win). */
  args?: string[];
  /** Variables set over `baseEnv`. */
  env?: NodeJS.ProcessEnv;
  /** The environment to start from; default this process's without SPARKWIRE_*, so the flags are the whole configuration. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Node flags before the script, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** The script node runs (default apps/sidecar/bin/sparkwire.js), e.g. the standalone bundle. */
  bin?: string;
  /** Runs exactly `command commandArgs` instead (npx, an installed package, an SDK program): no flags added. */
  command?: string;
  commandArgs?: string[];
  /** --server-port; 0 (default) lets the sidecar pick; fixed so a restarted sidecar is found at the same address. */
  port?: number;
  /** --spool-dir. */
  spoolDir?: string;
  cwd?: string;
  /** In a process group of its own (to signal the whole group). */
  detached?: boolean;
  /** CPU priority (runs under `nice -n`). */
  nice?: number;
  /** How long to wait for the ready line (default 30 s). */
  startTimeoutMs?: number;
  /** 'inherit' passes the sidecar's stderr through (default: kept in `logs`). */
  stderr?: 'pipe' | 'inherit';
  /** Keep at most about this many log lines (long benchmark runs). */
  maxLogLines?: number;
  /** Sees every stdout line (its JSON, when it is JSON) as it arrives. */
  onLog?: (line: string, record: Record<string, any> | undefined) => void;
  /** Samples RSS at this interval into `maxRssBytes` (and calls onSample). */
  sampleEveryMs?: number;
  onSample?: () => void;
  /** What `exited`/`stop` report for a process ended by a signal (default null, as node does). */
  signalExitCode?: number | null;
}

// One 'exit' hook for every child: a dying test run never leaves a sidecar behind.
const live = new Set<ChildProcess>();
let exitHook = false;
function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

function normalizeHost(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:');
}

export class SidecarProcess {
  readonly logs: string[] = [];
  /** The ready line (SIDECAR_READY_MESSAGE), parsed: address, metricsAddress, statusUrl, sink, ... */
  ready: Record<string, any> = {};
  /** Peak RSS seen by the sampler (sampleEveryMs). */
  maxRssBytes = 0;
  /** ms from spawn to the ready line. */
  startedMs = 0;
  readonly exited: Promise<number | null>;
  private telemetryUrl?: string;
  private healthConn?: HealthClient;
  private sampler?: NodeJS.Timeout;

  constructor(
    readonly proc: ChildProcess,
    private readonly opts: SpawnSidecarOptions,
  ) {
    this.exited = new Promise((r) => proc.once('exit', (code, signal) => r(code ?? (signal ? (opts.signalExitCode ?? null) : null))));
  }

  get pid(): number {
    return this.proc.pid!;
  }
  /** host:port of the gRPC server. */
  get address(): string {
    return this.ready.address;
  }
  get port(): number {
    return Number(this.address.split(':').pop());
  }
  /** host:port of the Prometheus endpoint ('' when metrics are off). */
  get metricsAddress(): string {
    return this.ready.metricsAddress ?? '';
  }
  /** The Prometheus endpoint's URL, when metrics are on. */
  get metricsUrl(): string | undefined {
    if (this.telemetryUrl) return this.telemetryUrl;
    return this.metricsAddress ? normalizeHost(`http://${this.metricsAddress}/metrics`) : undefined;
  }
  get statusUrl(): string | undefined {
    return this.ready.statusUrl;
  }
  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }
  get rssBytes(): number {
    return processMemory(this.pid)?.rss || 0;
  }

  /** JSON log lines. */
  records(): Array<Record<string, any>> {
    return this.logs.flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  }

  /** JSON log lines containing `msg` (the message or any other text of the line). */
  logged(msg: string): Array<Record<string, any>> {
    return this.logs.filter((l) => l.includes(msg)).flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  }

  /** grpc.health.v1 status of a service ("" = the process), plaintext; rejects when the call fails. */
  health(service: string): Promise<string> {
    this.healthConn ??= healthClient(this.address);
    return this.healthConn.check(service);
  }

  async waitServing(service: string, timeoutMs = 30_000): Promise<void> {
    let last = 'no answer';
    await waitFor(
      `sidecar health ${service} SERVING`,
      async () => {
        last = await this.health(service);
        return last === 'SERVING';
      },
      { timeoutMs, retryErrors: true },
    ).catch((err: Error) => {
      throw new Error(`sidecar health ${service} not SERVING within ${timeoutMs} ms (last: ${last}; ${err.message})`);
    });
  }

  /** The Prometheus text. */
  async metrics(timeoutMs = 5_000): Promise<string> {
    const url = this.metricsUrl;
    if (!url) throw new Error('the sidecar serves no Prometheus endpoint (metrics off?)');
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.text();
  }

  /** One scrape: sample (name, with its labels if any) -> value. */
  async scrape(timeoutMs = 5_000): Promise<Map<string, number>> {
    return parsePromSamples(await this.metrics(timeoutMs));
  }

  /** The first sample of a metric, any labels. */
  async metric(name: string): Promise<number | undefined> {
    return promValue(await this.metrics(), name);
  }

  /** Sends the signal and resolves with the exit code; SIGKILL after graceMs if given. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', opts: { graceMs?: number } = {}): Promise<number | null> {
    clearInterval(this.sampler);
    this.healthConn?.close();
    this.healthConn = undefined;
    if (this.alive) this.proc.kill(signal);
    const timer = opts.graceMs === undefined ? undefined : setTimeout(() => this.proc.kill('SIGKILL'), opts.graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Closes the health channel (the process keeps running). */
  close(): void {
    this.healthConn?.close();
    this.healthConn = undefined;
  }

  /** `stats` of the "sparkwire sidecar stopped" line, once it stopped. */
  stoppedStats<T = any>(): T | undefined {
    return this.logged('"sparkwire sidecar stopped"')[0]?.stats;
  }

  /** @internal */
  async waitReady(): Promise<void> {
    const t0 = Date.now();
    const o = this.opts;
    const proc = this.proc;
    const tail = () => this.logs.slice(-50).join('\n');
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`sidecar did not start within ${o.startTimeoutMs ?? 30_000} ms:\n${tail()}`)), o.startTimeoutMs ?? 30_000);
      let buf = '';
      proc.stdout!.setEncoding('utf8');
      proc.stdout!.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.logs.push(line);
          if (o.maxLogLines && this.logs.length > o.maxLogLines) this.logs.splice(0, this.logs.length - Math.floor(o.maxLogLines / 2));
          let rec: Record<string, any> | undefined;
          try {
            rec = JSON.parse(line);
          } catch {
            /* not JSON */
          }
          o.onLog?.(line, rec);
          if (!rec) continue;
          if (rec.msg === 'telemetry' && typeof rec.metrics?.endpoint === 'string') this.telemetryUrl = normalizeHost(rec.metrics.endpoint);
          if (rec.msg === SIDECAR_READY_MESSAGE) {
            this.ready = rec;
            clearTimeout(timer);
            res();
          }
        }
      });
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (d: string) => this.logs.push(d));
      void this.exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`sidecar exited with ${code}:\n${tail()}`));
      });
    });
    this.startedMs = Date.now() - t0;
    if (o.sampleEveryMs) {
      const sample = () => {
        const rss = processMemory(this.pid)?.rss;
        if (rss) this.maxRssBytes = Math.max(this.maxRssBytes, rss);
        o.onSample?.();
      };
      this.sampler = setInterval(sample, o.sampleEveryMs);
    }
  }
}

let stateDir: string | undefined;

/**
 * The state directory of the sidecars this test process starts (their default spool lives
 * there): one temporary directory per process, so a sidecar restarted at the same port finds
 * its spool again, and no test writes into the real ~/.local/state. Removed at exit.
 */
export function testStateDir(): string {
  if (!stateDir) {
    const dir = mkdtempSync(join(tmpdir(), 'sparkwire-state-'));
    stateDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return stateDir;
}

/** Starts `sparkwire serve` (or opts.command) and resolves once it logged its ready line. */
export async function spawnSidecar(opts: SpawnSidecarOptions = {}): Promise<SidecarProcess> {
  const args = opts.args ?? [];
  let file = opts.command ?? process.execPath;
  let argv: string[];
  if (opts.command) {
    argv = opts.commandArgs ?? [];
  } else {
    // A taken metrics port ends the process and suites run several sidecars at once: a free one unless asked.
    const metrics = args.some((a) => a.startsWith('--metrics-port') || a.startsWith('--metrics-enabled')) ? [] : ['--metrics-port', '0'];
    const spool = opts.spoolDir ? ['--spool-dir', opts.spoolDir] : [];
    argv = [...(opts.nodeFlags ?? []), opts.bin ? resolve(opts.bin) : SIDECAR_BIN, 'serve', '--server-port', String(opts.port ?? 0), ...metrics, ...spool, ...args];
  }
  if (opts.nice) {
    argv = ['-n', String(opts.nice), file, ...argv];
    file = 'nice';
  }
  const proc = spawn(file, argv, {
    cwd: opts.cwd,
    env: { [STATE_DIR_ENV]: testStateDir(), ...(opts.baseEnv ?? envWithout()), ...opts.env },
    stdio: ['ignore', 'pipe', opts.stderr ?? 'pipe'],
    detached: opts.detached,
  });
  track(proc);
  const s = new SidecarProcess(proc, opts);
  try {
    await s.waitReady();
  } catch (err) {
    if (s.alive) proc.kill('SIGKILL');
    throw err;
  }
  return s;
}
