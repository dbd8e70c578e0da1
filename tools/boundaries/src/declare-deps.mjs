// Writes into each workspace package's package.json the packages its code imports (workspace
// packages as "*", third-party ones at the root's pinned version): "dependencies" for product
// code, "devDependencies" for what only its tests use. The boundary check (rules.cjs) then
// holds every later import against these lists. Review the diff before committing it:
//   node tools/boundaries/src/declare-deps.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const { workspacePackages } = require('./rules.cjs');
const ROOT = resolve(import.meta.dirname, '../../..');
const TEST_FILE = /(\.test\.[cm]?[jt]s$|\/test\/|\/fuzz\/|\/vitest\.config\.[cm]?ts$)/;

const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const pkgs = workspacePackages(ROOT);
// The pinned version of every third-party package: the root's, else the package that brought it in.
const rootVersions = {};
for (const p of pkgs) {
  const pj = JSON.parse(readFileSync(join(ROOT, p.dir, 'package.json'), 'utf8'));
  for (const [k, v] of Object.entries({ ...pj.devDependencies, ...pj.dependencies })) if (!k.startsWith('@sparkwire/')) rootVersions[k] = v;
}
Object.assign(rootVersions, rootPkg.devDependencies, rootPkg.dependencies);
const owner = (file) => pkgs.filter((p) => file.startsWith(`${p.dir}/`)).sort((a, b) => b.dir.length - a.dir.length)[0];
const npmName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

// depcruise exits non-zero while declarations are missing; its JSON is complete all the same.
const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), '--config', 'tools/boundaries/dependency-cruiser.cjs', '--output-type', 'json', 'libs', 'apps', 'testing', 'tools'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
if (!run.stdout) throw new Error(`dependency-cruiser failed: ${run.stderr}`);
const cruised = JSON.parse(run.stdout);

const need = new Map(pkgs.map((p) => [p.dir, { prod: new Map(), dev: new Map() }]));
for (const m of cruised.modules) {
  const from = owner(m.source);
  if (!from) continue;
  const bucket = TEST_FILE.test(m.source) ? need.get(from.dir).dev : need.get(from.dir).prod;
  for (const d of m.dependencies) {
    if (d.dependencyTypes.includes('aliased-workspace')) {
      const to = owner(d.resolved);
      if (to && to.dir !== from.dir) bucket.set(to.name, '*');
    } else if (d.dependencyTypes.some((t) => t.startsWith('npm'))) {
      const name = npmName(d.module);
      if (rootVersions[name]) bucket.set(name, rootVersions[name]);
    }
  }
}

const sorted = (m) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));
for (const p of pkgs) {
  const file = join(ROOT, p.dir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const { prod, dev } = need.get(p.dir);
  for (const k of prod.keys()) dev.delete(k);
  // Keep what is declared for reasons an import does not show (e.g. a bin a test runs).
  for (const [k, v] of Object.entries(pkg.dependencies ?? {})) if (!prod.has(k)) prod.set(k, v);
  for (const [k, v] of Object.entries(pkg.devDependencies ?? {})) if (!dev.has(k) && !prod.has(k)) dev.set(k, v);
  const next = { ...pkg };
  delete next.dependencies;
  delete next.devDependencies;
  if (prod.size) next.dependencies = sorted(prod);
  if (dev.size) next.devDependencies = sorted(dev);
  const text = `${JSON.stringify(next, null, 2)}\n`;
  if (text !== readFileSync(file, 'utf8')) {
    writeFileSync(file, text);
    console.log(`${p.dir}/package.json: ${prod.size} dependencies, ${dev.size} devDependencies`);
  }
}
