#!/usr/bin/env node
// Builds the sidecar with esbuild, two ways, both with every npm dependency inlined:
//
//  - dist/cli.mjs (+ dist/chunks/): what bin/sparkwire.js runs and the tests in the workspace
//    use. Code that is imported dynamically (replay's event log reader, @platformatic/kafka) is
//    in chunks, loaded when used; source maps beside each file. The sidecar runs from a bundle
//    rather than through tsx because tsx compiles with keepNames, which wraps every closure
//    created on the hot path in a defineProperty call (measured: ~8x slower JSON encoding); and
//    with the npm packages inlined rather than loaded from node_modules because loading some
//    1,000 module files one by one costs memory for as long as the process runs: their source
//    text with comments, the loaders' records, a young generation grown to its limit by all
//    that start-up allocation (idle RSS with Kafka, medians of 5: 124.6 against 106.3 MB).
//  - dist/sparkwire.mjs (`--standalone`, or `--all`): the same as one file, runs with nothing but
//    `node` (no node_modules): what the container image and the npm package @sparkwire/sidecar
//    contain. dist/package/ is the npm package staged for `npm pack` (package.json generated
//    here, version from the root).
//
// The .proto files that @grpc/proto-loader reads at run time (sparkwire.v1, grpc.health.v1,
// grpc.reflection) are embedded in both: they live under a virtual directory that only the
// proto loaders' `fs` sees.
//
// Usage: node apps/sidecar/build.mjs [--standalone | --all]
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The one version of sparkwire (root package.json); tools/version.mjs checks every other copy. */
const VERSION = rootPkg.version;
const define = { __SPARKWIRE_VERSION__: JSON.stringify(VERSION) };
const args = new Set(process.argv.slice(2));
const wantCli = !args.has('--standalone') || args.has('--all');
const wantStandalone = args.has('--standalone') || args.has('--all');

// ---- what both builds share -------------------------------------------------------------

/** Files read at run time, embedded under this directory (which does not exist on disk). */
const VROOT = '/__sparkwire_embedded__';
const toVirtual = (abs) => posix.join(VROOT, relative(root, abs).split(sep).join('/'));
const EMBEDDED_PROTOS = [
  'proto/sparkwire/v1/events.proto',
  'proto/sparkwire/v1/listener.proto',
  'proto/sparkwire/v1/offsets.proto',
  'node_modules/grpc-health-check/proto/health/v1/health.proto',
  'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
  'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto',
];
/** Packages whose `__dirname` points at the .proto files they load (rewritten to the virtual directory). */
const DIRNAME_PACKAGES = /[\\/]node_modules[\\/](grpc-health-check|@grpc[\\/]reflection)[\\/]/;
/** Modules whose `fs` is the embedded-aware one: the proto loaders, and libs/proto's protoRoot(). */
const EMBEDDED_FS_IMPORTERS = /([\\/]node_modules[\\/]protobufjs[\\/]src[\\/]util[\\/]fs\.js|[\\/]@grpc[\\/]proto-loader[\\/]build[\\/]src[\\/]util\.js|[\\/]libs[\\/]proto[\\/]src[\\/]index\.ts)$/;

const embeddedFsSource = () => {
  // A package that is no longer a dependency simply has nothing to embed.
  const present = EMBEDDED_PROTOS.filter((p) => existsSync(join(root, p)));
  const files = Object.fromEntries(present.map((p) => [toVirtual(join(root, p)), readFileSync(join(root, p), 'utf8')]));
  return `
import * as fs from 'node:fs';
import { resolve } from 'node:path';
const FILES = new Map(Object.entries(${JSON.stringify(files)}));
const find = (p) => (typeof p === 'string' || p instanceof URL ? FILES.get(resolve(p instanceof URL ? p.pathname : p)) : undefined);
export const constants = fs.constants;
export function existsSync(p) { return find(p) !== undefined || fs.existsSync(p); }
export function accessSync(p, mode) { if (find(p) === undefined) fs.accessSync(p, mode); }
export function readFileSync(p, options) {
  const text = find(p);
  if (text === undefined) return fs.readFileSync(p, options);
  const enc = typeof options === 'string' ? options : options?.encoding;
  return enc ? text : Buffer.from(text, 'utf8');
}
export function readFile(p, options, cb) {
  if (typeof options === 'function') { cb = options; options = undefined; }
  try { const r = readFileSync(p, options); process.nextTick(cb, null, r); } catch (err) { process.nextTick(cb, err); }
}
export default { ...fs, constants, existsSync, accessSync, readFileSync, readFile };
`;
};

const embedFiles = {
  name: 'embed-files',
  setup(b) {
    b.onResolve({ filter: /^(node:)?fs$/ }, (args) => (EMBEDDED_FS_IMPORTERS.test(args.importer) ? { path: 'embedded-fs', namespace: 'sparkwire-embedded' } : undefined));
    b.onLoad({ filter: /^embedded-fs$/, namespace: 'sparkwire-embedded' }, () => ({ contents: embeddedFsSource(), loader: 'js', resolveDir: root }));
    // libs/proto finds the proto root by walking up from its own URL: make that the virtual one.
    b.onLoad({ filter: /[\\/]libs[\\/]proto[\\/]src[\\/]index\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/import\.meta\.url/g, JSON.stringify(`file://${toVirtual(args.path)}`)),
      loader: 'ts',
    }));
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!DIRNAME_PACKAGES.test(args.path)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('__dirname')) return undefined;
      return { contents: text.replace(/\b__dirname\b/g, JSON.stringify(toVirtual(dirname(args.path)))), loader: 'js' };
    });
  },
};

// CommonJS packages inside an ES module need require(); __filename/__dirname are not used by
// any code path the sidecar takes (checked by the standalone test from an empty dir).
const REQUIRE_BANNER = "import { createRequire as __swCreateRequire } from 'node:module';\nconst require = __swCreateRequire(import.meta.url);";

/** esbuild options of both builds. */
const inlined = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Without comments and indentation the source text V8 keeps is smaller; the names stay.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
  define,
  plugins: [embedFiles],
  // @platformatic/kafka's wasm helpers read native.wasm from beside their own file; the
  // package's /bundled entry carries the wasm inline, which a single-file build needs.
  alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
};

// ---- dist/cli.mjs -----------------------------------------------------------------------

async function buildCli() {
  const chunks = join(here, 'dist/chunks');
  const result = await build({
    ...inlined,
    entryPoints: { cli: join(here, 'src/cli.ts') },
    // The same output (and chunk names) from whichever directory the build runs in.
    absWorkingDir: root,
    outdir: join(here, 'dist'),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    logLevel: 'warning',
    banner: { js: REQUIRE_BANNER },
  });
  // Chunks of earlier builds (their names carry a content hash) go. `serve` has loaded its code
  // by the time it is serving; a `replay` started before the rebuild may then miss its chunk.
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(root, f)));
  for (const f of existsSync(chunks) ? readdirSync(chunks) : []) if (!written.has(join(chunks, f))) rmSync(join(chunks, f), { force: true });
}

// ---- dist/sparkwire.mjs -----------------------------------------------------------------

async function buildStandalone() {
  const outfile = join(here, 'dist/sparkwire.mjs');
  const result = await build({
    ...inlined,
    stdin: {
      // The same as bin/sparkwire.js, with the CLI bundled in.
      contents: "import { main } from './src/cli.ts';\nprocess.exitCode = await main(process.argv);\n",
      resolveDir: here,
      sourcefile: 'sparkwire-standalone.ts',
      loader: 'ts',
    },
    outfile,
    sourcemap: false,
    logLevel: 'error',
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_BANNER}` },
  });
  chmodSync(outfile, 0o755);
  const inputs = Object.keys(result.metafile.inputs);
  const packages = new Set(inputs.flatMap((p) => (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p) ?? []).slice(1)));
  // Stage the npm package: the bundle is the whole program, so it has no dependencies.
  const side = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
  const pkgDir = join(here, 'dist/package');
  rmSync(pkgDir, { recursive: true, force: true });
  mkdirSync(pkgDir, { recursive: true });
  copyFileSync(outfile, join(pkgDir, 'sparkwire.mjs'));
  chmodSync(join(pkgDir, 'sparkwire.mjs'), 0o755);
  writeFileSync(
    join(pkgDir, 'package.json'),
    `${JSON.stringify(
      {
        name: side.name,
        version: VERSION,
        description: side.description,
        license: rootPkg.license,
        type: 'module',
        bin: { sparkwire: 'sparkwire.mjs' },
        exports: { './package.json': './package.json' },
        files: ['sparkwire.mjs', 'README.md'],
        engines: rootPkg.engines,
        keywords: ['spark', 'kafka', 'opentelemetry', 'grpc', 'sidecar'],
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(pkgDir, 'README.md'),
    `# @sparkwire/sidecar ${VERSION}\n\nThe sparkwire sidecar: Spark listener events from the driver (gRPC) to Kafka, OpenTelemetry and Prometheus.\nOne self-contained file (\`sparkwire.mjs\`, every dependency inlined); needs only Node ${rootPkg.engines.node}.\n\n\`\`\`sh\nnpx sparkwire serve --kafka-brokers kafka:9092\nnpx sparkwire print-config\nnpx sparkwire --help\n\`\`\`\n\nBundled: ${[...packages].sort().join(', ')}.\n`,
  );
  return { bytes: statSync(outfile).size, packages: packages.size };
}

if (wantCli) await buildCli();
if (wantStandalone) {
  const { bytes, packages } = await buildStandalone();
  console.log(`standalone: apps/sidecar/dist/sparkwire.mjs ${(bytes / 1024 / 1024).toFixed(2)} MiB (${packages} npm packages inlined); npm package staged in apps/sidecar/dist/package`);
}
