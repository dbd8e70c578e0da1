#!/usr/bin/env node
// Stages the npm package @sparkwire/sdk in libs/sdk/dist/package/ for `npm pack`:
//  - index.mjs: the SDK with the workspace libraries it uses (@sparkwire/*, private) bundled
//    in; npm packages stay external and become the package's dependencies, at the exact
//    versions of the root package.json (taken from what the bundle really imports);
//  - types/: type declarations (tsc), @sparkwire/* specifiers rewritten to relative paths and
//    relative ones given their .js extension, so they resolve under moduleResolution
//    node16/nodenext and bundler alike;
//  - proto/sparkwire/v1/*.proto: read at run time by startSidecar (server reflection).
// The version is the root package.json's (tools/version.mjs checks the copies).
// Usage: node libs/sdk/build.mjs
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const out = join(here, 'dist/package');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const sdkPkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const VERSION = rootPkg.version;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const external = new Set();
const result = await build({
  entryPoints: [join(here, 'src/index.ts')],
  outfile: join(out, 'index.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
  define: { __SPARKWIRE_VERSION__: JSON.stringify(VERSION) },
  plugins: [
    {
      name: 'external-npm',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('@sparkwire/') || args.path.startsWith('node:')) return undefined;
          const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
          external.add(name);
          return { path: args.path, external: true };
        });
      },
    },
  ],
});
void result;

const versions = { ...rootPkg.dependencies, ...rootPkg.devDependencies };
const dependencies = {};
for (const name of [...external].sort()) {
  if (!versions[name]) throw new Error(`sdk build: ${name} is imported but not in the root package.json`);
  dependencies[name] = versions[name];
}

// Type declarations: tsc over the SDK's import graph, then specifiers made package-local.
const typesDir = join(out, 'types');
const tsconfig = join(here, 'dist/tsconfig.dts.json');
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: '../../../tsconfig.base.json',
    files: ['../src/index.ts'],
    compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: './package/types', rootDir: '../../..', types: ['node'], paths: { '@sparkwire/*': ['../../*/src/index.ts'] } },
  }),
);
// Type errors do not stop the emit (the type check, `tsc -p tsconfig.json`, is where they fail a run).
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { encoding: 'utf8' });
if (tsc.status !== 0) console.warn(`sdk build: tsc reported ${(tsc.stdout.match(/error TS/g) ?? []).length} type error(s); declarations emitted anyway`);
if (!existsSync(join(out, 'types/libs/sdk/src/index.d.ts'))) throw new Error(`sdk build: no declarations emitted\n${tsc.stdout}${tsc.stderr}`);
rmSync(tsconfig);

const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
const posixRel = (from, to) => {
  const r = relative(from, to).split(sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
};
for (const file of walk(typesDir).filter((f) => f.endsWith('.d.ts'))) {
  const dir = dirname(file);
  const text = readFileSync(file, 'utf8').replace(/(from\s+|import\(\s*)(['"])([^'"]+)\2/g, (all, lead, q, spec) => {
    let target;
    const ws = /^@sparkwire\/([^/]+)(\/.*)?$/.exec(spec);
    if (ws) {
      const lib = join(typesDir, 'libs', ws[1], 'src');
      target = ws[2] ? join(lib, ws[2].slice(1)) : join(lib, 'index');
    } else if (spec.startsWith('.')) target = resolve(dir, spec);
    else return all;
    const withExt = existsSync(`${target}.d.ts`) ? `${target}.js` : existsSync(join(target, 'index.d.ts')) ? join(target, 'index.js') : undefined;
    if (!withExt) throw new Error(`sdk build: ${relative(typesDir, file)}: cannot map ${spec}`);
    return `${lead}${q}${posixRel(dir, withExt)}${q}`;
  });
  writeFileSync(file, text);
}

// The .proto files the receiver loads (protoRoot() finds proto/ above the bundle).
const protoSrc = join(root, 'proto/sparkwire/v1');
mkdirSync(join(out, 'proto/sparkwire/v1'), { recursive: true });
for (const f of readdirSync(protoSrc).filter((f) => f.endsWith('.proto'))) copyFileSync(join(protoSrc, f), join(out, 'proto/sparkwire/v1', f));

const types = './types/libs/sdk/src/index.d.ts';
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      name: sdkPkg.name,
      version: VERSION,
      description: sdkPkg.description,
      license: rootPkg.license,
      type: 'module',
      main: './index.mjs',
      types,
      exports: { '.': { types, import: './index.mjs', default: './index.mjs' }, './package.json': './package.json' },
      files: ['index.mjs', 'index.mjs.map', 'types', 'proto', 'README.md'],
      engines: rootPkg.engines,
      dependencies,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  join(out, 'README.md'),
  `# @sparkwire/sdk ${VERSION}\n\nThe sparkwire pipeline (validate, dedupe, encode, route, Kafka or file sink, spool, telemetry) embedded in a Node program,\nand optionally its gRPC receiver (\`startSidecar\`). ES module, type declarations included.\n\n\`\`\`ts\nimport { createPipeline } from '@sparkwire/sdk';\nconst built = createPipeline({ extended: true, kafka: { brokers: ['127.0.0.1:9092'] } });\nawait built.start();\nawait built.pipeline.publishEvents(events); // sparkwire.v1 SparkEvent objects\nawait built.close();\n\`\`\`\n`,
);
console.log(`sdk: libs/sdk/dist/package staged (${Object.keys(dependencies).length} npm dependencies: ${Object.keys(dependencies).join(', ')})`);
