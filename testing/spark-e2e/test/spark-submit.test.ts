// spark-submit, not PySpark: a Java job that knows nothing of sparkwire gets the listener only
// from `--packages io.sparkwire:<artifact>:<version> --repositories file:...` and `--conf` lines,
// resolved by spark-submit's own Ivy from the project's local Maven repository
// (libs/spark-listener/target/repo, `mvn deploy` in setup / the spark-listener test target)
// exactly as it would be from Maven Central: the published pom must bring nothing else.
//
// One run per Spark line (each line's vitest project, vitest.config.ts; PySpark ships
// spark-submit): 3.5 (Scala 2.12, Java 8 bytecode), 4.0, 4.3 and any .venv-pyspark-<version>
// that tools/setup.sh made (SPARKWIRE_MORE_PYSPARK). The job (jobs/java/SparkwireSubmitJob.java) is
// compiled here against that line's Spark jars. The sidecar writes to its file sink: no broker.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envWithout } from '@sparkwire/testkit';
import { E2E_LEVEL, JOBS, LINE_NAME, ROOT, SPARK, SPARK_VENV, startSidecar, type SparkInstall } from './harness';

const VERSION = '0.1.0';
const REPO = join(ROOT, 'libs/spark-listener/target/repo');
const JOB_SOURCE = join(JOBS, 'java/SparkwireSubmitJob.java');
const PREFIX = 'SPARKWIRE_E2E ';

interface Line {
  venv: string;
  sparkHome: string;
  sparkVersion: string;
  scala: string;
  artifact: string;
  javaRelease: number;
}

/** The artifact of each supported (Spark line, Scala) pair (libs/spark-listener/lines/*). */
function artifactFor(sparkVersion: string, scala: string): string {
  if (sparkVersion.startsWith('3.5.')) return scala === '2.12' ? 'sparkwire-spark-listener_2.12' : 'sparkwire-spark-listener-spark35_2.13';
  if (sparkVersion.startsWith('4.') && scala === '2.13') return 'sparkwire-spark-listener_2.13';
  throw new Error(`no sparkwire build for Spark ${sparkVersion} / Scala ${scala}`);
}

/** This project's Spark line (vitest.config.ts: one project per venv). */
function lineOf(install: SparkInstall | undefined): Line | undefined {
  if (!install) return undefined;
  const { sparkVersion, scala } = install;
  return { ...install, artifact: artifactFor(sparkVersion, scala), javaRelease: sparkVersion.startsWith('3.') ? 8 : 17 };
}
const LINE = lineOf(SPARK);

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

interface Submit {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<Submit> {
  const started = Date.now();
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((res) =>
    proc.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, wallMs: Date.now() - started });
    }),
  );
}

/** The NDJSON records the file sink wrote. */
function fileRecords(dir: string): Record<string, any>[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

const count = (rs: Record<string, any>[], name: string) => rs.filter((r) => r.name === name).length;

describe(`spark-submit --packages from the local Maven repository (${LINE_NAME})`, () => {
  it('a Java job attaches the listener with --packages and --conf lines only', async () => {
    const line = LINE;
    if (!line) throw new Error(`${SPARK_VENV} has no PySpark: run \`npm run setup\``);
    const pom = join(REPO, 'io/sparkwire', line.artifact, VERSION, `${line.artifact}-${VERSION}.pom`);
    if (!existsSync(pom)) throw new Error(`${pom} missing: run \`npm run setup\` or \`npx nx run spark-listener:repo\``);

    const tmp = mkdtempSync(join(tmpdir(), 'sparkwire-submit-'));
    tmpDirs.push(tmp);
    // the job, compiled against this line's own Spark jars
    execFileSync('javac', ['-nowarn', '--release', String(line.javaRelease), '-d', join(tmp, 'classes'), '-cp', join(line.sparkHome, 'jars/*'), JOB_SOURCE]);
    execFileSync('jar', ['cf', join(tmp, 'job.jar'), '-C', join(tmp, 'classes'), '.']);

    const events = join(tmp, 'events');
    const sidecar = await startSidecar({ bootstrap: '', topic: '', extended: false, fileDir: events });
    let submit: Submit;
    try {
      const env = envWithout(['SPARKWIRE_', 'PYSPARK_']);
      env.SPARK_HOME = line.sparkHome;
      const appName = `sparkwire-submit-${line.sparkVersion}`;
      // prettier-ignore
      submit = await run(join(line.sparkHome, 'bin/spark-submit'), [
        '--master', 'local[2]',
        '--name', appName,
        '--packages', `io.sparkwire:${line.artifact}:${VERSION}`,
        '--repositories', `file://${REPO}`,
        // a private Ivy cache: nothing resolved before (or by another test) is reused
        '--conf', `spark.jars.ivy=${join(tmp, 'ivy')}`,
        '--conf', 'spark.extraListeners=io.sparkwire.spark.SparkwireListener',
        '--conf', `spark.sparkwire.endpoint=${sidecar.address}`,
        '--conf', 'spark.sparkwire.labels.submittedBy=spark-submit',
        '--conf', 'spark.driver.host=127.0.0.1',
        '--conf', 'spark.driver.bindAddress=127.0.0.1',
        '--conf', 'spark.ui.enabled=false',
        '--conf', 'spark.sql.shuffle.partitions=2',
        '--class', 'SparkwireSubmitJob',
        join(tmp, 'job.jar'), '4',
      ], env);
    } finally {
      await sidecar.stop();
    }
    const resultLine = submit.stdout.split('\n').find((l) => l.startsWith(PREFIX));
    if (submit.code !== 0 || !resultLine) {
      throw new Error(`spark-submit failed (exit ${submit.code}):\n--- stdout\n${submit.stdout.slice(-3000)}\n--- stderr\n${submit.stderr.slice(-8000)}`);
    }
    const result = JSON.parse(resultLine.slice(PREFIX.length));
    expect(result.sparkVersion).toBe(line.sparkVersion);

    // Ivy resolved exactly one module, ours, from the --repositories one (repo-1): the pom
    // brought no dependency, and nothing came from ~/.m2 or a remote repository.
    const found = submit.stderr.split('\n').filter((l) => /^\s*found \S+;\S+ in /.test(l));
    expect(found.map((l) => l.trim())).toEqual([`found io.sparkwire#${line.artifact};${VERSION} in repo-1`]);
    // (Spark 4 logs "Registered listenerio.sparkwire...", without the space)
    expect(submit.stderr).toMatch(/Registered listener ?io\.sparkwire\.spark\.SparkwireListener/);
    expect(submit.stderr).not.toMatch(/ClassNotFoundException|NoSuchMethodError|NoClassDefFoundError|UnsupportedClassVersionError/);
    expect(submit.stderr.split('\n').filter((l) => / (WARN|ERROR) \S+: sparkwire/.test(l))).toEqual([]);

    // What the sidecar received, against what Spark reported in the job.
    const records = fileRecords(events);
    expect(new Set(records.map((r) => r.appId))).toEqual(new Set([result.appId]));
    expect(count(records, 'applications_started')).toBe(1);
    expect(count(records, 'applications_ended')).toBe(1);
    const start = records.find((r) => r.name === 'applications_started')!;
    expect(start).toMatchObject({ appName: `sparkwire-submit-${line.sparkVersion}`, sparkVersion: line.sparkVersion, 'appLabels.submittedBy': 'spark-submit' });
    const jobIds = (name: string) => records.filter((r) => r.name === name).map((r) => Number(r.jobId)).sort((a, b) => a - b);
    const sparkJobs = [...result.jobIds].sort((a: number, b: number) => a - b);
    expect(sparkJobs.length).toBeGreaterThanOrEqual(2);
    expect(jobIds('jobs_started')).toEqual(sparkJobs);
    expect(jobIds('jobs_ended')).toEqual(sparkJobs);
    expect(count(records, 'stages_started')).toBeGreaterThanOrEqual(2);
    expect(count(records, 'stages_ended')).toBe(count(records, 'stage_metrics'));
    expect(count(records, 'queries_started')).toBeGreaterThanOrEqual(1);
    expect(count(records, 'queries_ended')).toBe(count(records, 'queries_started'));
    // stage-level mode: no task record
    expect(count(records, 'task_metrics') + count(records, 'tasks_started')).toBe(0);
    const end = records.find((r) => r.name === 'applications_ended')!;
    expect(end.totalJobsCompleted).toBe(sparkJobs.length);
    console.log(`spark-submit on Spark ${line.sparkVersion} (${line.artifact}): ${records.length} records, ${Math.round(submit.wallMs / 100) / 10} s`);
  });
});

// The jar of another line (here the Spark 3.5 / Scala 2.12 one on Spark 4, with --jars): the
// listener says so in one error naming both lines and the artifact to use, and stays off; the
// job runs normally and nothing fails at the first event.
// Once per run: on the newest line's project (a full line on Spark 4).
describe('a listener jar of another Spark line', () => {
  const line = LINE?.sparkVersion.startsWith('4.') && E2E_LEVEL === 'full' ? LINE : undefined;
  const jar = join(ROOT, 'libs/spark-listener/lines/spark35_2.12/target', `sparkwire-spark-listener_2.12-${VERSION}.jar`);

  it('is refused with a clear error, and the job is unaffected', async (ctx) => {
    if (!line) return ctx.skip(`${LINE_NAME}: this check runs once, on the full Spark 4 line(s)`);
    if (!existsSync(jar)) throw new Error(`${jar} missing: run \`npm run setup\``);
    const tmp = mkdtempSync(join(tmpdir(), 'sparkwire-submit-'));
    tmpDirs.push(tmp);
    execFileSync('javac', ['-nowarn', '--release', '17', '-d', join(tmp, 'classes'), '-cp', join(line!.sparkHome, 'jars/*'), JOB_SOURCE]);
    execFileSync('jar', ['cf', join(tmp, 'job.jar'), '-C', join(tmp, 'classes'), '.']);
    const env = envWithout(['SPARKWIRE_', 'PYSPARK_']);
    env.SPARK_HOME = line!.sparkHome;
    // prettier-ignore
    const submit = await run(join(line!.sparkHome, 'bin/spark-submit'), [
      '--master', 'local[2]',
      '--jars', jar,
      '--conf', 'spark.extraListeners=io.sparkwire.spark.SparkwireListener',
      '--conf', 'spark.sparkwire.endpoint=127.0.0.1:1',
      '--conf', 'spark.driver.host=127.0.0.1',
      '--conf', 'spark.driver.bindAddress=127.0.0.1',
      '--conf', 'spark.ui.enabled=false',
      '--class', 'SparkwireSubmitJob',
      join(tmp, 'job.jar'), '2',
    ], env);
    expect(submit.code, submit.stderr.slice(-4000)).toBe(0);
    expect(submit.stdout).toContain(PREFIX);
    const errors = submit.stderr.split('\n').filter((l) => / ERROR \S+: sparkwire/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`this listener jar (sparkwire-spark-listener_2.12) is built for Spark 3.5.x with Scala 2.12, but this driver runs Spark ${line!.sparkVersion} with Scala 2.13`);
    expect(errors[0]).toContain('Use io.sparkwire:sparkwire-spark-listener_2.13 (Spark 4.x, Scala 2.13) instead');
    expect(submit.stderr).not.toMatch(/ClassNotFoundException|NoSuchMethodError|NoClassDefFoundError|sparkwire: .*skipped/);
    // stayed off: never tried to reach the (unreachable) sidecar
    expect(submit.stderr).not.toContain('cannot reach the sidecar');
  });
});
