// Running the installed artifacts the way users do: a process started from a clean
// directory outside the repository, with a clean environment, found by its log.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const STANDALONE = join(ROOT, 'apps/sidecar/dist/sparkwire.mjs');
export const SIDECAR_PACKAGE = join(ROOT, 'apps/sidecar/dist/package');
export const SDK_PACKAGE = join(ROOT, 'libs/sdk/dist/package');
const HEALTH_PROTO = join(ROOT, 'node_modules/grpc-health-check/proto');

// Whatever a failed test left running is killed when its file is done, and the directories it
// made are removed (a venv with PySpark is ~400 MB); SPARKWIRE_KEEP_TEST_DIRS=1 keeps them.
const running = new Set<ChildProcess>();
const made: string[] = [];
afterAll(async () => {
  const left = [...running].filter((p) => p.exitCode === null && p.signalCode === null);
  for (const p of left) p.kill('SIGKILL');
  await Promise.all(left.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)))));
  if (!process.env.SPARKWIRE_KEEP_TEST_DIRS) for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A new empty directory outside the repository, with no node_modules anywhere above it. */
export function emptyDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sw-${prefix}-`)));
  if (dir.startsWith(ROOT)) throw new Error(`${dir} is inside the repository`);
  made.push(dir);
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) throw new Error(`${d}/node_modules exists: not a clean directory`);
    if (dirname(d) === d) break;
  }
  return dir;
}

/** The environment of a user's shell: no SPARKWIRE_* and nothing pointing into the repository. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('SPARKWIRE_') || k.startsWith('npm_') || k.startsWith('VITEST') || ['NODE_PATH', 'NODE_OPTIONS', 'INIT_CWD'].includes(k)) continue;
    env[k] = v;
  }
  // npm and npx from the Node that runs the tests (so Node 22/24 runs use their own node).
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return { ...env, ...extra };
}

export interface Served {
  proc: ChildProcess;
  address: string;
  logs: string[];
  /** JSON log lines. */
  records(): Array<Record<string, any>>;
  exited: Promise<number | null>;
  health(service: string): Promise<string>;
  /** Sends the signal; resolves with the exit code (null: killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  close(): void;
}

/** Starts `command args` in cwd and waits for "sparkwire sidecar listening". */
export async function serveFrom(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Served> {
  const proc = spawn(command, args, { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  const logs: string[] = [];
  const exited = new Promise<number | null>((r) => proc.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  const address = await new Promise<string>((resolvePromise, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`sidecar did not start:\n${logs.join('\n')}`)), opts.timeoutMs ?? 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        if (line.includes('"sparkwire sidecar listening"')) {
          clearTimeout(timer);
          resolvePromise(JSON.parse(line).address);
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sidecar exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  const health = healthClient(address);
  return {
    proc,
    address,
    logs,
    exited,
    records: () => logs.flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    }),
    health: (service) => health.check(service),
    async stop(signal = 'SIGTERM') {
      health.close();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    close: () => health.close(),
  };
}

export function healthClient(address: string, token?: string): { check(service: string): Promise<string>; close(): void } {
  const def = protoLoader.loadSync('health/v1/health.proto', { enums: String, includeDirs: [HEALTH_PROTO] });
  const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health;
  const client = new Health(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return {
    check: (service) => new Promise((res, rej) => client.check({ service }, md, (e: Error | null, r: { status: string }) => (e ? rej(e) : res(r.status)))),
    close: () => client.close(),
  };
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** `npm pack` of a staged package into dir; returns the tarball's path. */
export function npmPack(pkgDir: string, dir: string): string {
  const out = execFileSync('npm', ['pack', pkgDir, '--pack-destination', dir, '--json', '--silent'], { env: cleanEnv(), encoding: 'utf8' });
  return join(dir, JSON.parse(out)[0].filename);
}

/** Waits for exit up to graceMs, then SIGKILL, as the kubelet does after the grace period. */
export async function killAfterGrace(s: Served, graceMs: number): Promise<{ code: number | null; killed: boolean }> {
  s.proc.kill('SIGTERM');
  const timer = new Promise<'grace'>((r) => setTimeout(() => r('grace'), graceMs));
  const r = await Promise.race([s.exited, timer]);
  if (r !== 'grace') return { code: r, killed: false };
  s.proc.kill('SIGKILL');
  return { code: await s.exited, killed: true };
}
