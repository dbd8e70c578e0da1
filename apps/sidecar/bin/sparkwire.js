#!/usr/bin/env node
// The `sparkwire` command: runs the bundle that `npm run build` (part of setup) writes.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('sparkwire: apps/sidecar/dist/cli.mjs is missing: run `npm run build` (or `npm run setup`) first\n');
  process.exit(1);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv);
