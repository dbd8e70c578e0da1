#!/usr/bin/env node
// Startup time (spawn -> "sparkwire sidecar listening") and resident memory (VmRSS once
// listening, and VmHWM, the peak) of a sidecar build, file sink, median of N runs.
// Usage: node tools/packaging/measure-startup.mjs <script.mjs|bin.js> [runs=5] [node binary]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [script, runsArg = '5', nodeArg = process.execPath] = process.argv.slice(2);
const nodeBin = nodeArg.includes('/') ? resolve(nodeArg) : nodeArg;
const kib = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function once() {
  const cwd = mkdtempSync(join(tmpdir(), 'sw-startup-'));
  const t0 = process.hrtime.bigint();
  const p = spawn(nodeBin, [resolve(script), 'serve', '--server-port', '0', '--metrics-enabled', 'false'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  const ms = await new Promise((res, rej) => {
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('sparkwire sidecar listening')) res(Number(process.hrtime.bigint() - t0) / 1e6);
    });
    p.on('exit', (c) => rej(new Error(`exited ${c}`)));
  });
  await new Promise((r) => setTimeout(r, 500));
  const rss = kib(p.pid, 'VmRSS');
  const hwm = kib(p.pid, 'VmHWM');
  const code = await new Promise((r) => { p.on('exit', r); p.kill('SIGTERM'); });
  rmSync(cwd, { recursive: true, force: true });
  return { ms, rss, hwm, code };
}

const runs = [];
for (let i = 0; i < Number(runsArg); i++) runs.push(await once());
const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = { script, node: nodeBin, runs: runs.length, startupMs: Math.round(med(runs.map((r) => r.ms))), rssMiB: +(med(runs.map((r) => r.rss)) / 1024).toFixed(1), peakRssMiB: +(med(runs.map((r) => r.hwm)) / 1024).toFixed(1), exitCodes: [...new Set(runs.map((r) => r.code))] };
console.log(JSON.stringify(out));
