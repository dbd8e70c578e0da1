// Running the installed artifacts the way users do: a process started from a clean
// directory outside the repository, with a clean environment, found by its log.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { envWithout, healthClient as kitHealthClient, spawnSidecar, waitFor as kitWaitFor, type SidecarProcess } from '@sparkwire/testkit';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const STANDALONE = join(ROOT, 'apps/sidecar/dist/sparkwire.mjs');
export const SIDECAR_PACKAGE = join(ROOT, 'apps/sidecar/dist/package');
export const SDK_PACKAGE = join(ROOT, 'libs/sdk/dist/package');

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
  const env = envWithout(['SPARKWIRE_', 'npm_', 'VITEST'], ['NODE_PATH', 'NODE_OPTIONS', 'INIT_CWD']);
  // npm and npx from the Node that runs the tests (so Node 22/24 runs use their own node).
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return { ...env, ...extra };
}

export type Served = SidecarProcess;

/** Starts `command args` in cwd and waits for the sidecar's ready line. */
export async function serveFrom(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Served> {
  const s = await spawnSidecar({ command, commandArgs: args, cwd: opts.cwd, baseEnv: cleanEnv(opts.env), startTimeoutMs: opts.timeoutMs ?? 60_000, signalExitCode: -1 });
  running.add(s.proc);
  s.proc.on('exit', () => running.delete(s.proc));
  return s;
}

/** healthClient of the kit, with a bearer token as the second argument. */
export const healthClient = (address: string, token?: string) => kitHealthClient(address, { token });

/** The kit's waitFor; a check that throws (nothing listening yet) is asked again. */
export const waitFor = (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) => kitWaitFor(what, check, { timeoutMs, retryErrors: true });

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
