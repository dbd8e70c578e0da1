#!/usr/bin/env node
// Bundles the sidecar's own TypeScript (apps/sidecar + libs/*) into dist/cli.mjs with
// esbuild; npm packages stay external. The sidecar runs from this bundle rather than
// through tsx because tsx compiles with keepNames, which wraps every closure created on
// the hot path in a defineProperty call (measured: ~8x slower JSON encoding).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Workspace packages (@sparkwire/*) are bundled; everything from npm stays external. */
const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@sparkwire/') ? undefined : { path: args.path, external: true }));
  },
};

await build({
  entryPoints: [join(here, 'src/cli.ts')],
  outfile: join(here, 'dist/cli.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [externalNpm],
});
