// Spark Connect: the listener runs on the Connect server (spark.extraListeners there), and every
// client's work reaches the sidecar attributed to its Connect session and user. A real local
// Connect server (PySpark 4's bundled spark-connect jar; on Spark 3.5 the spark-connect_2.12 jar
// from Maven Central; started with spark-submit --class SparkConnectServer, as
// start-connect-server.sh does) and two concurrent PySpark Connect clients
// (SparkSession.builder.remote, no JVM on the client side) with user ids alice and bob. The
// sidecar writes to its file sink: no broker. Besides the jobs, the server's own Connect
// operation and session events (connect_operations, connect_sessions) carry each client's ids.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envWithout } from '@sparkwire/testkit';
import { CACHE_DIR, freePort, LINE_NAME, ROOT, runJob, SPARK, startSidecar, waitFor } from './harness';
import { formatProblems } from './golden-format';

/**
 * The Connect server of this Spark line and the listener jar to put on it. PySpark 4 bundles the
 * server (pyspark/jars/spark-connect_2.13-4.*.jar); PySpark 3.5 does not, and Spark 3.5's
 * start-connect-server.sh adds org.apache.spark:spark-connect_2.12 from Maven Central, which
 * tools/setup.sh fetches into the cache (the newest 3.5 build there, which may be older than
 * the venv's Spark 3.5 patch release).
 */
function connectServer(): { sparkHome: string; listenerJar: string; serverJars: string[]; serverVersion: string } | { skip: string } {
  if (!SPARK) return { skip: `${LINE_NAME}: no PySpark in the venv` };
  const { sparkHome, sparkVersion, scala } = SPARK;
  if (sparkVersion.startsWith('4.')) {
    const bundled = readdirSync(join(sparkHome, 'jars')).find((n) => /^spark-connect_2\.13-4\..*\.jar$/.test(n));
    if (!bundled) return { skip: `${LINE_NAME}: this PySpark 4 has no bundled spark-connect jar` };
    return { sparkHome, listenerJar: join(ROOT, 'libs/spark-listener/lines/spark4_2.13/target/sparkwire-spark-listener_2.13-0.1.0.jar'), serverJars: [], serverVersion: bundled.slice('spark-connect_2.13-'.length, -4) };
  }
  if (sparkVersion.startsWith('3.5.') && scala === '2.12') {
    const dir = join(CACHE_DIR, 'spark-connect');
    const jar = existsSync(dir) ? readdirSync(dir).filter((n) => /^spark-connect_2\.12-3\.5\.\d+\.jar$/.test(n)).sort().at(-1) : undefined;
    if (!jar) throw new Error(`${LINE_NAME}: no Spark 3.5 Connect server jar in ${dir}: run \`npm run setup\` (it fetches org.apache.spark:spark-connect_2.12 from Maven Central)`);
    return { sparkHome, listenerJar: join(ROOT, 'libs/spark-listener/lines/spark35_2.12/target/sparkwire-spark-listener_2.12-0.1.0.jar'), serverJars: [join(dir, jar)], serverVersion: jar.slice('spark-connect_2.12-'.length, -4) };
  }
  return { skip: `${LINE_NAME}: Spark Connect is tested on Spark 3.5 with Scala 2.12 and on Spark 4` };
}

function fileRecords(dir: string): Record<string, any>[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });
}

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

const SERVER = connectServer();

describe(`Spark Connect: the listener on the Connect server (${LINE_NAME})`, () => {
  it('attributes each client session’s jobs to its session, operation and user', async (ctx) => {
    if ('skip' in SERVER) return ctx.skip(SERVER.skip);
    const { sparkHome, listenerJar, serverJars, serverVersion } = SERVER;
    if (!existsSync(listenerJar)) throw new Error(`${listenerJar} missing: run \`npm run setup\``);
    const tmp = mkdtempSync(join(tmpdir(), 'sparkwire-connect-'));
    tmpDirs.push(tmp);
    const events = join(tmp, 'events');
    const sidecar = await startSidecar({ bootstrap: '', topic: '', extended: false, fileDir: events });
    const port = await freePort();
    const env = envWithout(['SPARKWIRE_', 'PYSPARK_']);
    env.SPARK_HOME = sparkHome;
    // prettier-ignore
    const server: ChildProcess = spawn(join(sparkHome, 'bin/spark-submit'), [
      '--master', 'local[2]',
      '--name', 'sparkwire-connect-server',
      '--jars', [listenerJar, ...serverJars].join(','),
      '--conf', 'spark.extraListeners=io.sparkwire.spark.SparkwireListener',
      '--conf', `spark.sparkwire.endpoint=${sidecar.address}`,
      '--conf', `spark.connect.grpc.binding.port=${port}`,
      '--conf', 'spark.connect.grpc.binding.address=127.0.0.1',
      '--conf', 'spark.driver.host=127.0.0.1',
      '--conf', 'spark.driver.bindAddress=127.0.0.1',
      '--conf', 'spark.ui.enabled=false',
      '--conf', 'spark.sql.shuffle.partitions=2',
      '--class', 'org.apache.spark.sql.connect.service.SparkConnectServer',
      'spark-internal',
    ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let serverLog = '';
    server.stdout!.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
    const serverExit = new Promise<number | null>((r) => server.on('exit', (c) => r(c)));
    let runs;
    try {
      await waitFor('the Connect server to listen', async () => {
        if (server.exitCode !== null) throw new Error(`Connect server exited with ${server.exitCode}:\n${serverLog.slice(-6000)}`);
        return listening(port);
      }, 120_000);
      // two clients at once, each its own session and user
      runs = await Promise.all(
        ['alice', 'bob'].map((user) => runJob('connect_client.py', { url: `sc://127.0.0.1:${port}/;user_id=${user}`, tag: `sparkwire-e2e-${user}`, rows: 1000, sidecar: sidecar.address }, undefined, 180_000)),
      );
    } finally {
      if (server.exitCode === null) server.kill('SIGTERM');
      await Promise.race([serverExit, new Promise((r) => setTimeout(r, 30_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
      await sidecar.stop();
    }
    expect(serverLog).toMatch(/Registered listener ?io\.sparkwire\.spark\.SparkwireListener/);
    expect(serverLog).not.toMatch(/ClassNotFoundException|NoSuchMethodError|NoClassDefFoundError/);
    expect(serverLog.split('\n').filter((l) => / (WARN|ERROR) \S+: sparkwire/.test(l))).toEqual([]);

    const [alice, bob] = runs.map((r) => r.result);
    for (const r of [alice, bob]) {
      expect(r.count).toBe(1000);
      expect(r.groups).toEqual([0, 1, 2]);
    }
    expect(alice.sessionId).not.toBe(bob.sessionId);

    const records = fileRecords(events);
    // one application: the server's, which ran both clients' work
    expect(new Set(records.map((r) => r.appId)).size).toBe(1);
    for (const name of ['jobs_started', 'jobs_ended']) {
      const jobs = records.filter((r) => r.name === name);
      const connectJobs = jobs.filter((r) => r.connectSessionId);
      expect(connectJobs.length, `${name} with a Connect session`).toBeGreaterThanOrEqual(2);
      for (const [user, run] of [['alice', alice], ['bob', bob]] as const) {
        const mine = connectJobs.filter((r) => r.connectSessionId === run.sessionId);
        expect(mine.length, `${name} of ${user}'s session`).toBeGreaterThanOrEqual(1);
        for (const r of mine) {
          expect(r.connectUserId).toBe(user);
          expect(r.connectOperationId).toMatch(/^[0-9a-f-]{36}$/);
          expect(r.jobTags).toEqual([`sparkwire-e2e-${user}`]);
          expect(typeof r.jobId).toBe('string');
        }
      }
      // every Connect job belongs to one of the two sessions
      expect(new Set(connectJobs.map((r) => r.connectSessionId))).toEqual(new Set([alice.sessionId, bob.sessionId]));
    }
    // the clients' observations (ObservationClient, no JVM on the client): the server's app id
    // read over Connect, the session as the label the client gave
    const apps = new Set(records.map((r) => r.appId));
    expect([alice.appId, bob.appId]).toEqual([...apps, ...apps]);
    const obs = records.filter((r) => r.name === 'observations');
    expect(obs.map((r) => r.labels.connectSessionId).sort()).toEqual([alice.sessionId, bob.sessionId].sort());
    for (const r of obs) expect(r).toMatchObject({ observationName: 'connect_rows', numeric: { count: 1000 } });
    // a job's end carries its start's context
    const started = new Map(records.filter((r) => r.name === 'jobs_started').map((r) => [r.jobId, r]));
    for (const end of records.filter((r) => r.name === 'jobs_ended' && r.connectSessionId)) {
      expect(started.get(end.jobId)).toMatchObject({ connectSessionId: end.connectSessionId, connectOperationId: end.connectOperationId, connectUserId: end.connectUserId });
    }

    // The server's operation and session events (SparkListenerConnectOperation* / Session*):
    // each operation of each client, with that client's session and user on every phase, and the
    // job records' operation ids among those operations.
    const ops = records.filter((r) => r.name === 'connect_operations');
    // their fields and types are the golden vectors' (proto/golden/19-22)
    expect(formatProblems(records.filter((r) => r.name.startsWith('connect_')))).toEqual([]);
    for (const [user, run] of [['alice', alice], ['bob', bob]] as const) {
      const mine = ops.filter((r) => r.connectSessionId === run.sessionId);
      expect(mine.length, `connect_operations of ${user}'s session`).toBeGreaterThanOrEqual(2);
      for (const r of mine) {
        expect(r.connectUserId).toBe(user);
        expect(r.connectOperationId).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.connectJobTag).toBe(`SparkConnect_OperationTag_User_${user}_Session_${run.sessionId}_Operation_${r.connectOperationId}`);
        expect(typeof r.phaseTime).toBe('number');
      }
      const phasesOf = (id: string) => mine.filter((r) => r.connectOperationId === id).map((r) => r.phase);
      const started = mine.filter((r) => r.phase === 'Started');
      expect(started.length, `${user}'s started operations`).toBeGreaterThanOrEqual(2); // the count and the collect
      for (const r of started) {
        expect(typeof r.statementText).toBe('string');
        expect(r.statementText.length).toBeGreaterThan(0);
        expect(r.jobTags).toEqual([`sparkwire-e2e-${user}`]);
        // each operation's phases in Spark's order, Spark's times with them; both actions succeed
        const phases = phasesOf(r.connectOperationId);
        expect(phases[0]).toBe('Started');
        expect(phases.at(-1)).toBe('Closed');
        expect(phases).toContain('Finished');
        const times = mine.filter((x) => x.connectOperationId === r.connectOperationId).map((x) => x.phaseTime);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const finished = mine.find((x) => x.connectOperationId === r.connectOperationId && x.phase === 'Finished');
        expect(typeof finished?.producedRowCount).toBe('number');
      }
      // the operations the jobs ran for are operations the server reported for this session
      const opIds = new Set(started.map((r) => r.connectOperationId));
      const jobOps = records.filter((r) => r.name === 'jobs_started' && r.connectSessionId === run.sessionId).map((r) => r.connectOperationId);
      expect(jobOps.length).toBeGreaterThanOrEqual(1);
      for (const id of jobOps) expect(opIds.has(id), `job operation ${id} among ${user}'s operations`).toBe(true);
      // the session's start (and its close, when the client's stop reached the server before it shut down)
      const sessions = records.filter((r) => r.name === 'connect_sessions' && r.connectSessionId === run.sessionId);
      expect(sessions.filter((r) => r.phase === 'Started'), `${user}'s session started`).toHaveLength(1);
      for (const r of sessions) expect(r.connectUserId).toBe(user);
    }
    // every Connect operation record belongs to one of the two sessions
    expect(new Set(ops.map((r) => r.connectSessionId))).toEqual(new Set([alice.sessionId, bob.sessionId]));
    console.log(`Spark Connect on ${LINE_NAME}, server ${serverVersion}: ${records.length} records, ${records.filter((r) => r.name === 'jobs_started' && r.connectSessionId).length} Connect jobs (alice ${alice.sessionId}, bob ${bob.sessionId})`);
  }, 360_000);
});
