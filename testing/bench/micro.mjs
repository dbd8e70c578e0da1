#!/usr/bin/env node
// Runs one of the micro-benchmarks, src/<name>-bench.ts, bundled with esbuild as
// apps/sidecar/build.mjs bundles the sidecar (tsx's keepNames would distort the figures):
//
//   node testing/bench/micro.mjs decode [--batches 400] [--size 500]
//   node testing/bench/micro.mjs event-id-window [--events 2000000] [--window 100000]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
const entry = join(here, `src/${name}-bench.ts`);
if (!name || !existsSync(entry)) {
  console.error(`usage: micro.mjs <name> [args]: no ${entry}`);
  process.exit(2);
}
// Beside this file, so the bundle resolves the npm packages from the repository's node_modules.
const out = join(here, `.${name}-bench-${process.pid}.tmp.mjs`);
await build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-npm',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@sparkwire/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
const r = spawnSync(process.execPath, [out, ...args], { stdio: 'inherit', cwd: here });
rmSync(out, { force: true });
process.exit(r.status ?? 1);
