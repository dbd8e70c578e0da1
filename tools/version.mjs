#!/usr/bin/env node
// sparkwire's version has one source: the root package.json "version". Every other copy
// (workspace package.json files of what ships, the Python package, the Maven POMs of the
// JVM listener, the image tag and Maven coordinates in deploy/kubernetes) must say the same; the builds (apps/sidecar/build.mjs, libs/sdk/build.mjs)
// take it from the root directly, so `sparkwire --version` is the root's by construction.
//   node tools/version.mjs            prints the version
//   node tools/version.mjs check      exits 1 naming each copy that differs
//   node tools/version.mjs set X.Y.Z  writes X.Y.Z into the root and every copy
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// SPARKWIRE_VERSION_ROOT: another tree (tests run `set` on a copy).
const root = process.env.SPARKWIRE_VERSION_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each copy: file, a reader and a writer of the version in it. */
function copies() {
  const out = [];
  const json = (file) => ({
    file,
    get: (t) => JSON.parse(t).version,
    set: (t, v) => t.replace(/("version"\s*:\s*")[^"]*(")/, `$1${v}$2`),
  });
  out.push(json('package.json'));
  for (const dir of ['apps/sidecar', ...readdirSync(join(root, 'libs')).map((d) => `libs/${d}`)]) {
    if (existsSync(join(root, dir, 'package.json'))) out.push(json(`${dir}/package.json`));
  }
  out.push({
    file: 'libs/python/pyproject.toml',
    get: (t) => /^version\s*=\s*"([^"]+)"/m.exec(t)?.[1],
    set: (t, v) => t.replace(/^(version\s*=\s*")[^"]+(")/m, `$1${v}$2`),
  });
  out.push({
    file: 'libs/python/src/sparkwire/_version.py',
    get: (t) => /^__version__\s*=\s*"([^"]+)"/m.exec(t)?.[1],
    set: (t, v) => t.replace(/^(__version__\s*=\s*")[^"]+(")/m, `$1${v}$2`),
  });
  // Every POM of the listener: its own <version>, else its parent's (a module that inherits it).
  const poms = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (f === 'target' || f === 'node_modules' || f.startsWith('.')) continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (f === 'pom.xml') poms.push(relative(root, p));
    }
  };
  if (existsSync(join(root, 'libs/spark-listener'))) walk(join(root, 'libs/spark-listener'));
  for (const file of poms) {
    out.push({
      file,
      get: (x) => {
        const t = x.replace(/<!--[\s\S]*?-->/g, '');
        const noParent = t.replace(/<parent>[\s\S]*?<\/parent>/, '');
        const head = noParent.split(/<(?:properties|dependencies|dependencyManagement|build|profiles|modules)>/)[0];
        return /<version>([^<]*)<\/version>/.exec(head)?.[1] ?? /<parent>[\s\S]*?<version>([^<]*)<\/version>[\s\S]*?<\/parent>/.exec(t)?.[1];
      },
      set: (t, v) => {
        // Only past <modelVersion>: the comments above it may mention versions.
        const from = t.indexOf('<modelVersion>');
        const parent = /<parent>[\s\S]*?<\/parent>/.exec(t.slice(from));
        let s = parent ? t.slice(0, from) + t.slice(from).replace(parent[0], parent[0].replace(/<version>[^<]*<\/version>/, `<version>${v}</version>`)) : t;
        const start = parent ? s.indexOf('</parent>') : from;
        const head = s.slice(start).split(/<(?:properties|dependencies|dependencyManagement|build|profiles|modules)>/)[0];
        if (/<version>[^<]*<\/version>/.test(head)) s = s.slice(0, start) + s.slice(start).replace(/<version>[^<]*<\/version>/, `<version>${v}</version>`);
        return s;
      },
    });
  }
  // The deploy manifests name the image tag and the listener's Maven coordinates.
  const pattern = (file, re) => ({
    file,
    get: (t) => {
      const found = [...new Set([...t.matchAll(new RegExp(re, 'g'))].map((m) => m[2]))];
      return found.length === 1 ? found[0] : found.length ? found.join(' and ') : undefined;
    },
    set: (t, v) => t.replace(new RegExp(re, 'g'), `$1${v}`),
  });
  const image = '(sparkwire/sidecar:)([0-9][0-9A-Za-z.-]*)';
  for (const f of ['deploy/kubernetes/spark-on-k8s/driver-pod-template.yaml', 'deploy/kubernetes/spark-operator/spark-application.yaml']) {
    if (existsSync(join(root, f))) out.push(pattern(f, image));
  }
  if (existsSync(join(root, 'deploy/kubernetes/spark-on-k8s/spark-defaults.conf'))) out.push(pattern('deploy/kubernetes/spark-on-k8s/spark-defaults.conf', '(sparkwire-spark-listener_2\\.13:)([0-9][0-9A-Za-z.-]*)'));
  return out;
}

const read = (f) => readFileSync(join(root, f), 'utf8');
export const VERSION = JSON.parse(read('package.json')).version;

/** [{ file, version }] of every copy that differs from the root's. */
export function mismatches() {
  return copies()
    .map((c) => ({ file: c.file, version: c.get(read(c.file)) }))
    .filter((c) => c.version !== VERSION);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, arg] = process.argv.slice(2);
  if (!cmd) console.log(VERSION);
  else if (cmd === 'check') {
    const bad = mismatches();
    if (process.env.VERBOSE) for (const c of copies()) console.log(c.file);
    for (const b of bad) console.error(`version: ${b.file} says ${b.version ?? '(none found)'}, the root package.json ${VERSION}`);
    if (bad.length) process.exit(1);
    console.log(`version ${VERSION}: ${copies().length} copies agree`);
  } else if (cmd === 'set' && /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(arg ?? '')) {
    for (const c of copies()) writeFileSync(join(root, c.file), c.set(read(c.file), arg));
    console.log(`version ${arg} written to ${copies().length} files; package-lock.json: run npm install`);
  } else {
    console.error('usage: node tools/version.mjs [check | set X.Y.Z]');
    process.exit(2);
  }
}
