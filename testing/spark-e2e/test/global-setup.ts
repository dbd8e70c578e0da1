// The tests run the sidecar as its own process from the bundle: rebuild it first so a test
// never runs yesterday's code (as apps/sidecar/test/global-setup.ts does). The listener jar
// (libs/spark-listener/lines/*/target) and the venv come from `npm run setup`; say so if missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LISTENER_JAR_DIRS, PYTHON, ROOT } from './harness';

export default function setup(): void {
  execFileSync(process.execPath, [join(ROOT, 'apps/sidecar/build.mjs')], { stdio: 'inherit' });
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`npm run setup\` (Python venv with PySpark and sparkwire)`);
  for (const dir of LISTENER_JAR_DIRS.filter((d) => !existsSync(d))) {
    console.warn(`spark-e2e: ${dir} not built; the jar packaged in the venv's sparkwire is used for that line`);
  }
}
