import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// One vitest project per Spark line (its venv, made by tools/setup.sh), run one after the
// other (sequence.groupOrder): the newest supported line gets the full suite, the oldest the
// line-dependent part of it (`core`), the lines in between a smoke (the README's Spark-lines
// table says which is which).
//
//   npx vitest run                          every line
//   npx vitest run --project pyspark-3.5.9  one line (the names are the venvs' PySpark versions)
//   SPARKWIRE_SPARK_VENV=<venv> npx vitest run   the full suite on that one venv only
const ROOT = resolve(import.meta.dirname, '../..');

type Level = 'full' | 'core' | 'smoke';
/** The Spark lines of the default run: venv (from the repository root) and how much runs on it. */
const LINES: Array<{ venv: string; level: Level }> = [
  { venv: '.venv-spark35', level: 'core' }, // oldest: PySpark 3.5.9, Scala 2.12
  { venv: '.venv', level: 'smoke' }, // PySpark 4.0.1, the project's default venv
  { venv: '.venv-spark43', level: 'full' }, // newest: PySpark 4.3.0
];

/** What a smoke line runs (spark-submit --packages runs on the newest line, with the same Spark 4 jar). */
const SMOKE = ['test/smoke.test.ts'];
/** What a full line does not run: spark-clients checks all the smoke does, at scale; golden-format has its own project. */
const NOT_FULL = ['test/smoke.test.ts', 'test/golden-format.test.ts'];
/**
 * What the `core` line leaves out besides: what does not depend on the Spark line, once the
 * line's records are checked against its REST API (spark-clients). `sparkwire report` reads
 * Kafka records, and the trace tree is built by the sidecar from those events; both run on
 * the newest line. The client's outage tests inside spark-clients skip themselves (harness.ts,
 * E2E_LEVEL).
 */
const NOT_CORE = [...NOT_FULL, 'test/report-cli.test.ts', 'test/spark-traces.test.ts'];

/** The PySpark version pip installed in a venv (its dist-info folder), if any. */
function pysparkVersion(venv: string): string | undefined {
  const lib = join(ROOT, venv, 'lib');
  if (!existsSync(lib)) return undefined;
  for (const py of readdirSync(lib)) {
    const site = join(lib, py, 'site-packages');
    const info = existsSync(site) ? readdirSync(site).find((n) => /^pyspark-\d[^-]*\.dist-info$/.test(n)) : undefined;
    if (info) return info.slice('pyspark-'.length, -'.dist-info'.length);
  }
  return undefined;
}

const only = process.env.SPARKWIRE_SPARK_VENV;
const lines: Array<{ venv: string; level: Level }> = only ? [{ venv: only, level: 'full' }] : [...LINES];
if (!only) {
  // Further lines a developer set up (SPARKWIRE_MORE_PYSPARK="4.1.4 4.2.1" npm run setup): a
  // smoke each, unless that version is already one of the lines above.
  const have = new Set(lines.map((l) => pysparkVersion(l.venv)));
  for (const venv of readdirSync(ROOT).filter((n) => n.startsWith('.venv-pyspark-')).sort()) {
    const v = pysparkVersion(venv);
    if (v && !have.has(v)) lines.push({ venv, level: 'smoke' }), have.add(v);
  }
}

const projects: TestProjectInlineConfiguration[] = [
  // No Spark: the golden-format checker itself.
  { extends: true, test: { name: 'golden-format', include: ['test/golden-format.test.ts'], sequence: { groupOrder: 0 } } },
  ...lines.map(
    ({ venv, level }, i): TestProjectInlineConfiguration => ({
      extends: true,
      test: {
        // A venv not set up yet keeps its folder name; global-setup.ts then says to run setup.
        name: pysparkVersion(venv) ? `pyspark-${pysparkVersion(venv)}` : venv,
        include: level === 'smoke' ? SMOKE : ['test/**/*.test.ts'],
        exclude: [...configDefaults.exclude, ...(level === 'full' ? NOT_FULL : level === 'core' ? NOT_CORE : [])],
        env: { SPARKWIRE_SPARK_VENV: venv, SPARKWIRE_E2E_LEVEL: level },
        sequence: { groupOrder: i + 1 },
      },
    }),
  ),
];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Real PySpark jobs (20,000 tasks) on a shared 2-core machine: minutes, not seconds.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    // Each file starts a broker, a sidecar and Spark JVMs: one file at a time, one line at a time.
    fileParallelism: false,
    projects,
  },
});
