// Starts `sparkwire serve` as a separate process, the way users run it, and finds its
// address in its structured log.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const BIN = resolve(import.meta.dirname, '../bin/sparkwire.js');
const HEALTH_PROTO = resolve(import.meta.dirname, '../../../node_modules/grpc-health-check/proto');

export interface SidecarProcess {
  proc: ChildProcess;
  address: string;
  logs: string[];
  /** SIGTERM, resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  health(service: string): Promise<string>;
}

export async function spawnSidecar(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SidecarProcess> {
  // A taken metrics port ends the process: tests run several sidecars at once, so a free one unless asked.
  const metrics = args.some((a) => a.startsWith('--metrics-port') || a.startsWith('--metrics-enabled')) ? [] : ['--metrics-port', '0'];
  const proc = spawn(process.execPath, [BIN, 'serve', '--server-port', '0', ...metrics, ...args], {
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPARKWIRE_'))), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const address = await new Promise<string>((resolvePromise, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`sidecar did not start:\n${logs.join('\n')}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        try {
          const o = JSON.parse(line);
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
    void exited.then((code) => reject(new Error(`sidecar exited with ${code}:\n${logs.join('\n')}`)));
  });
  const def = protoLoader.loadSync('health/v1/health.proto', { enums: String, includeDirs: [HEALTH_PROTO] });
  const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health;
  const healthClient = new Health(address, grpc.credentials.createInsecure());
  return {
    proc,
    address,
    logs,
    async stop(signal = 'SIGTERM') {
      healthClient.close();
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
    health: (service) =>
      new Promise((res, rej) => healthClient.check({ service }, (e: Error | null, r: { status: string }) => (e ? rej(e) : res(r.status)))),
  };
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
