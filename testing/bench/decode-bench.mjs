#!/usr/bin/env node
// Bundles src/decode-bench.ts with esbuild (as apps/sidecar/build.mjs bundles the sidecar)
// and runs it: see that file.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Beside this file, so the bundle resolves the npm packages from the repository's node_modules.
const out = join(here, `.decode-bench-${process.pid}.tmp.mjs`);
await build({
  entryPoints: [join(here, 'src/decode-bench.ts')],
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
const r = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit', cwd: here });
rmSync(out, { force: true });
process.exit(r.status ?? 1);
