// The Python package as users get it: the wheel built with the standard front end
// (`python -m build`, isolated build environment from PyPI), installed with PySpark into a
// fresh virtual environment outside the repository (pip's cache makes PySpark quick), and a
// real PySpark job there attaching with sparkwire.configure(...) to the standalone sidecar
// (run from its own empty directory): the job's events reach the sidecar's file sink, and the
// installed package's __version__ is the one version.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, STANDALONE, cleanEnv, emptyDir, serveFrom } from './helpers';

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const PYTHON = join(ROOT, '.venv/bin/python');
// PySpark's version: the one the project's tests use (libs/python/pyproject.toml, extra "test").
const PYSPARK = /"(pyspark==[^"]+)"/.exec(readFileSync(join(ROOT, 'libs/python/pyproject.toml'), 'utf8'))![1];
const timed = <T>(f: () => T): [T, number] => {
  const t0 = Date.now();
  return [f(), Date.now() - t0];
};

describe('the sparkwire wheel in a fresh virtual environment', () => {
  it('builds with python -m build, installs with PySpark, and a PySpark job attaches with sparkwire.configure', async () => {
    const dist = emptyDir('wheel-dist');
    const [, buildMs] = timed(() => execFileSync(PYTHON, ['-m', 'build', '--wheel', '--outdir', dist, join(ROOT, 'libs/python')], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] }));
    const wheels = readdirSync(dist).filter((f) => f.endsWith('.whl'));
    expect(wheels).toEqual([`sparkwire-${VERSION}-py3-none-any.whl`]);
    const listing = execFileSync(PYTHON, ['-m', 'zipfile', '-l', join(dist, wheels[0])], { encoding: 'utf8' });
    expect(listing).toMatch(/sparkwire\/jars\/[^\s]+\.jar/);

    const venv = join(emptyDir('wheel-venv'), 'venv');
    const [, venvMs] = timed(() => execFileSync(PYTHON, ['-c', `import sys, venv; venv.create(sys.argv[1], with_pip=True)`, venv], { env: cleanEnv() }));
    const py = join(venv, 'bin/python');
    const [, installMs] = timed(() => execFileSync(py, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', join(dist, wheels[0]), PYSPARK], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }));
    // The package comes from the venv, not from the repository.
    const where = execFileSync(py, ['-c', 'import sparkwire, os; print(sparkwire.__version__); print(os.path.dirname(sparkwire.__file__)); print(sparkwire.jar_path())'], { cwd: venv, env: cleanEnv(), encoding: 'utf8' }).trim().split('\n');
    expect(where[0]).toBe(VERSION);
    expect(where[1].startsWith(venv)).toBe(true);
    expect(where[2].startsWith(venv)).toBe(true);

    const sidecarDir = emptyDir('wheel-sidecar');
    copyFileSync(STANDALONE, join(sidecarDir, 'sparkwire.mjs'));
    const s = await serveFrom(process.execPath, ['sparkwire.mjs', 'serve', '--server-port', '0', '--metrics-enabled', 'false'], { cwd: sidecarDir });
    const jobDir = emptyDir('wheel-job');
    writeFileSync(
      join(jobDir, 'job.py'),
      `import sys
import sparkwire
from pyspark.sql import SparkSession
spark = sparkwire.configure(SparkSession.builder.master("local[1]").appName("wheel-job").config("spark.ui.enabled", "false"),
                            endpoint=sys.argv[1], labels={"test": "python-wheel"}).getOrCreate()
print(spark.range(10000).selectExpr("sum(id) AS s").collect()[0].s)
spark.stop()
`,
    );
    const [out, jobMs] = timed(() => execFileSync(py, ['job.py', s.address], { cwd: jobDir, env: cleanEnv(), encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(out.trim().split('\n').pop()).toBe('49995000');
    expect(await s.stop('SIGTERM')).toBe(0);
    const dir = join(sidecarDir, 'sparkwire-data/events');
    const records = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).filter(Boolean).map((l) => JSON.parse(l));
    const mine = records.filter((r) => r.appName === 'wheel-job');
    expect(mine.map((r) => r.name)).toEqual(expect.arrayContaining(['jobs_started', 'stages_started', 'stage_metrics', 'jobs_ended']));
    expect(mine.every((r) => r.labels?.test === 'python-wheel')).toBe(true);
    console.log(`python wheel: python -m build ${buildMs} ms, venv ${venvMs} ms, pip install wheel + ${PYSPARK} ${installMs} ms, PySpark job ${jobMs} ms`);
  });
});
