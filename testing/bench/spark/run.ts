/**
 * Spark listener overhead: the same PySpark job of 50,000 short tasks (local[2]) in rounds of
 * arms, each run a fresh Python process and JVM:
 *   none                no listener;
 *   sparkwire-extended  the JVM listener, extended mode -> the sidecar process -> a real Kafka broker;
 *   sparkwire-stage     the same at stage level (extended off: no task events);
 *   sparkmeasure        sparkMeasure 0.28 KafkaSink + KafkaSinkExtended -> the same broker, own topic;
 *   listener-disabled   only with --arms: the sparkwire listener registered as at stage level but
 *                       with spark.sparkwire.enabled=false (Spark's own cost of one registered
 *                       listener); nothing is sent, each run is verified disabled instead.
 *
 *   npx tsx testing/bench/spark/run.ts [--rounds 12]
 *        [--arms LIST: default none,sparkwire-extended,sparkwire-stage,sparkmeasure; also listener-disabled]
 *        [--tasks 50000] [--warmup-tasks 5000] [--order williams|random] [--seed N]
 *        [--sparkmeasure-jar PATH] [--kafka-clients-jar PATH]
 *        [--no-docs] [--docs docs/benchmarks.md] [--output-json f.json] [--nice N] [--debug-threads]
 *
 * The arms' order within a round follows a Williams design (arms.ts, stats.ts) or is shuffled
 * (--order random). The design is balanced over a multiple of k rounds for an even number k of
 * arms and of 2k rounds for an odd k (12 for the default four arms, 6 for three, e.g.
 * --arms none,listener-disabled,sparkwire-stage). Per arm: the median ratio to the none run of
 * the same round and a 95% t interval on the log ratios; sparkwire extended vs sparkMeasure and
 * sparkwire stage level vs listener-disabled paired per round, with their intervals and t tests
 * (stats.ts). Targets: extended <= 1.05x and below sparkMeasure's ratio, stage level <= 1.01x.
 * After every run the topics are read back (integrity.ts), and a listener-disabled run is
 * checked to have had the listener on the bus with no client (arms.ts verifyDisabled); a run
 * that fails its check is reported, never published as a number. Listener processing time per
 * event comes from Spark's own listenerProcessingTime.<class> timers (LiveListenerBus metrics,
 * read from the driver's /metrics/json). Writes the "## Spark listener overhead" section of
 * docs/benchmarks.md (report.ts; only that section; it is appended when missing).
 * --pairs is the old name of --rounds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { spawnSidecar } from '@sparkwire/testkit';
import { armsFlag, balancedRounds, DEFAULT_ARMS, parseArms, roundOrders, SPARKMEASURE_LISTENERS, sparkMeasureJars, verifyDisabled, type Arm } from './arms';
import { RunChecker } from './integrity';
import { markdown, SECTION, summarize, updateDoc, type Run, type Timer } from './report';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv/bin/python');
const JOB = path.join(import.meta.dirname, 'bench_job.py');
// the Spark 4 line's jar (.venv runs PySpark 4); see libs/spark-listener/lines/
const LISTENER_JAR = path.join(ROOT, 'libs/spark-listener/lines/spark4_2.13/target/sparkwire-spark-listener_2.13-0.1.0.jar');
const TIMER = 'listenerProcessingTime.io.sparkwire.spark.SparkwireListener';
const STATUS_TIMER = 'listenerProcessingTime.org.apache.spark.status.AppStatusListener';
const TOPIC = 'bench-spark-events';
const SM_TOPIC = 'bench-sparkmeasure';
const SM_TIMERS = SPARKMEASURE_LISTENERS.map((c) => `listenerProcessingTime.${c}`);

function parse() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '12' },
      pairs: { type: 'string' },
      arms: { type: 'string', default: DEFAULT_ARMS.join(',') },
      order: { type: 'string', default: 'williams' },
      seed: { type: 'string' },
      'sparkmeasure-jar': { type: 'string' },
      'kafka-clients-jar': { type: 'string' },
      tasks: { type: 'string', default: '50000' },
      'warmup-tasks': { type: 'string', default: '5000' },
      docs: { type: 'string', default: 'docs/benchmarks.md' },
      'no-docs': { type: 'boolean', default: false },
      'output-json': { type: 'string' },
      'debug-threads': { type: 'boolean', default: false },
      nice: { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(import.meta.filename, 'utf8').split('*/')[0]);
    process.exit(0);
  }
  const rounds = Number(values.pairs ?? values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (values.order !== 'williams' && values.order !== 'random') throw new Error('--order: williams or random');
  return {
    rounds,
    arms: parseArms(values.arms!),
    order: values.order as 'williams' | 'random',
    seed: values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31),
    sparkMeasureJar: values['sparkmeasure-jar'],
    kafkaClientsJar: values['kafka-clients-jar'],
    tasks: Number(values.tasks),
    warmupTasks: Number(values['warmup-tasks']),
    docs: values['no-docs'] ? undefined : path.resolve(ROOT, values.docs!),
    outputJson: values['output-json'],
    debugThreads: values['debug-threads']!,
    nice: Number(values.nice),
  };
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15, clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Lowers the CPU priority of every thread of a running process (a JVM's threads included). */
function renice(pid: number, nice: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      os.setPriority(Number(tid), nice);
    } catch {
      /* the thread ended */
    }
  }
}

async function startSidecar(bootstrap: string, nice: number) {
  const s = await spawnSidecar({ args: ['--extended', '--kafka-brokers', bootstrap, '--kafka-topic', TOPIC, '--kafka-partitions', '1'], nice, startTimeoutMs: 120_000 });
  return {
    address: s.address,
    pid: s.pid,
    async stop(): Promise<any> {
      await s.stop();
      return s.stoppedStats();
    },
  };
}

function timerOf(m: any, name: string): Timer | undefined {
  const t = m.timers[name];
  return t && { count: t.count, mean: t.mean, p50: t.p50, p99: t.p99, max: t.max };
}

interface RunOptions {
  tasks: number;
  warmupTasks: number;
  endpoint: string;
  sidecarPid: number;
  brokerPid: number;
  debugThreads: boolean;
  bootstrap: string;
  sparkMeasureJars?: string[];
}

/** One run; a failure (the job, or reading its metrics) comes back as a failed run, not a throw. */
async function runOnce(round: number, position: number, mode: Arm, o: RunOptions): Promise<Run> {
  const load1 = os.loadavg()[0];
  try {
    return await runJob(round, position, mode, o, load1);
  } catch (err) {
    const msg = (err as Error).message;
    console.error(`round ${round} ${mode} FAILED: ${msg}`);
    return { round, position, arm: mode, ok: false, error: errorLine(msg), jobS: NaN, drainS: NaN, startupS: NaN, stopS: NaN, processS: NaN, load1, sidecarCpuS: 0, brokerCpuS: 0 };
  }
}

/** One line for the report: the message's first line and the root cause of a JVM/Python failure. */
function errorLine(msg: string): string {
  const lines = msg.split('\n').map((l) => l.trim());
  const cause = [...lines].reverse().find((l) => l.startsWith('Caused by: ')) ?? lines.find((l, i) => i > 0 && /^[\w.$]*(Error|Exception)\b.*:/.test(l));
  return `${lines[0].replace(/:$/, '')}${cause ? `: ${cause.replace(/^Caused by: /, '')}` : ''}`.slice(0, 300);
}

async function runJob(round: number, position: number, mode: Arm, o: RunOptions, load1: number): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, PYSPARK_PYTHON: PYTHON, PYSPARK_DRIVER_PYTHON: PYTHON };
  if (existsSync(LISTENER_JAR)) env.SPARKWIRE_JAR = LISTENER_JAR;
  const settings = {
    mode,
    tasks: o.tasks,
    warmup_tasks: o.warmupTasks,
    endpoint: o.endpoint,
    app: `bench-${mode}-${round}`,
    debug_threads: o.debugThreads,
    sparkmeasure_jars: o.sparkMeasureJars,
    kafka_broker: o.bootstrap,
    kafka_topic: SM_TOPIC,
  };
  const cpu0 = [cpuSeconds(o.sidecarPid), cpuSeconds(o.brokerPid)];
  const t0 = Date.now();
  const proc = spawn(PYTHON, ['-u', JOB, JSON.stringify(settings)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  const processS = (Date.now() - t0) / 1000;
  const cpu1 = [cpuSeconds(o.sidecarPid), cpuSeconds(o.brokerPid)];
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('SPARKWIRE_BENCH '))
    .map((l) => JSON.parse(l.slice('SPARKWIRE_BENCH '.length)));
  const res = lines.find((l) => l.job_s !== undefined);
  if (code !== 0 || !res) throw new Error(`bench job (${mode}) failed with ${code}:\n${stdout.slice(-3000)}\n${stderr.slice(-6000)}`);
  const before = res.before;
  const after = res.after;
  const run: Run = {
    round,
    position,
    arm: mode,
    ok: true,
    appId: res.appId,
    jobS: res.job_s,
    drainS: res.drain_s,
    startupS: res.startup_s,
    stopS: lines.find((l) => l.stop_s !== undefined)?.stop_s ?? NaN,
    processS,
    load1,
    numEventsPosted: after.counters.numEventsPosted - before.counters.numEventsPosted,
    sharedDropped: after.counters['queue.shared.numDroppedEvents'],
    statusTimer: timerOf(after, STATUS_TIMER),
    jvmCpu: res.jvm_cpu,
    sidecarCpuS: cpu1[0] - cpu0[0],
    brokerCpuS: cpu1[1] - cpu0[1],
  };
  if (mode === 'sparkmeasure') {
    const ts = SM_TIMERS.map((n) => timerOf(after, n));
    if (ts.some((t) => !t)) throw new Error(`no ${SM_TIMERS.join(' / ')} in the driver's metrics: are sparkMeasure's sinks attached?\n${stderr.slice(-3000)}`);
    const [k, x] = ts as Timer[];
    run.timer = { count: x.count, mean: k.mean + x.mean, p50: k.p50 + x.p50, p99: k.p99 + x.p99, max: k.max + x.max };
    run.listenerEvents = x.count - (timerOf(before, SM_TIMERS[1])?.count ?? 0);
  }
  if (mode === 'listener-disabled') {
    const t = timerOf(after, TIMER);
    if (t) {
      run.timer = t;
      run.listenerEvents = t.count - (timerOf(before, TIMER)?.count ?? 0);
    }
    const v = verifyDisabled(res.listener_probe, stderr, run.listenerEvents, o.tasks);
    if (!v.ok) {
      console.error(`round ${round} listener-disabled: the job's stderr (last 3000 characters):\n${stderr.slice(-3000)}`);
      throw new Error(`listener-disabled run not verified: ${v.summary}`); // the summary alone is the report's error line
    }
    run.integrity = { ok: true, summary: v.summary, records: 0, names: {} };
  }
  if (mode === 'sparkwire-extended' || mode === 'sparkwire-stage') {
    const t = timerOf(after, TIMER);
    if (!t) throw new Error(`no ${TIMER} in the driver's metrics: is the listener attached?\n${stderr.slice(-3000)}`);
    run.timer = t;
    run.listenerEvents = t.count - (timerOf(before, TIMER)?.count ?? 0);
    const m = stderr.match(/closed: (\d+) events acknowledged, (\d+) dropped \(buffer full\), (\d+) dropped \(sidecar unavailable\), \d+ rejected by the sidecar, \d+ task events not built, (\d+) not delivered at close/);
    if (m) run.delivery = { acked: +m[1], dropped: +m[2] + +m[3], undelivered: +m[4] };
  }
  return run;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** Reads the run's records back from the broker; a failed check marks the run failed. */
async function checkRun(checker: RunChecker, r: Run, o: { tasks: number; warmupTasks: number }): Promise<number> {
  const t0 = Date.now();
  const tasks = o.tasks + o.warmupTasks;
  if (r.arm === 'sparkwire-extended' || r.arm === 'sparkwire-stage') {
    r.integrity = await checker.checkSparkwire(r.appId!, r.delivery?.acked, tasks, r.arm === 'sparkwire-extended');
    if (r.delivery && (r.delivery.dropped || r.delivery.undelivered)) r.integrity = { ...r.integrity, ok: false, summary: `listener dropped ${r.delivery.dropped}, undelivered ${r.delivery.undelivered}; ${r.integrity.summary}` };
  } else if (r.arm === 'sparkmeasure') r.integrity = await checker.checkSparkMeasure(r.appId!, o.warmupTasks, o.tasks);
  if (r.integrity && !r.integrity.ok) {
    r.ok = false;
    r.error = `integrity: ${r.integrity.summary}`;
  }
  return (Date.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const o = parse();
  const t0 = Date.now();
  const loadBefore = os.loadavg();
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: run \`npm run setup\``);
  execFileSync(process.execPath, [path.join(ROOT, 'apps/sidecar/build.mjs')], { stdio: 'inherit' });
  const skipped: Record<string, string> = {};
  let smJars: string[] | undefined;
  if (o.arms.includes('sparkmeasure')) {
    const r = sparkMeasureJars({ sparkMeasureJar: o.sparkMeasureJar, kafkaClientsJar: o.kafkaClientsJar });
    if ('skip' in r) {
      console.log(`skipping the sparkmeasure arm: ${r.skip}`);
      skipped.sparkmeasure = r.skip;
      o.arms = o.arms.filter((a) => a !== 'sparkmeasure');
    } else {
      smJars = r.jars;
      console.log(`sparkmeasure arm: spark.jars=${smJars.join(',')}`);
    }
  }
  const orders = roundOrders(o.arms, o.rounds, o.order, o.seed);
  const period = balancedRounds(o.arms.length);
  const unbalanced = o.order === 'williams' && o.rounds % period !== 0 ? `not balanced: ${o.rounds} rounds is not a multiple of ${period} for ${o.arms.length} arms` : undefined;
  console.log(`arms ${o.arms.join(', ')}; ${o.rounds} rounds; order ${o.order}${o.order === 'random' ? ` (seed ${o.seed})` : ''}${unbalanced ? ` (${unbalanced})` : ''}`);
  console.log('starting a Kafka broker and the sidecar (--extended)');
  const broker: Broker = await startBroker();
  const checker = new RunChecker(broker.bootstrap, TOPIC, smJars ? SM_TOPIC : undefined);
  let sidecar: Awaited<ReturnType<typeof startSidecar>> | undefined;
  const runs: Run[] = [];
  let sidecarStats: any;
  try {
    sidecar = await startSidecar(broker.bootstrap, o.nice);
    if (o.nice) renice(broker.pid, o.nice);
    await checker.start();
    for (let round = 1; round <= o.rounds; round++) {
      for (const [position, mode] of orders[round - 1].entries()) {
        const r = await runOnce(round, position, mode, { tasks: o.tasks, warmupTasks: o.warmupTasks, endpoint: sidecar.address, sidecarPid: sidecar.pid, brokerPid: broker.pid, debugThreads: o.debugThreads, bootstrap: broker.bootstrap, sparkMeasureJars: smJars });
        const readS = r.ok ? await checkRun(checker, r, o) : 0;
        runs.push(r);
        if (!r.ok) {
          console.log(`round ${round} ${mode.padEnd(18)} FAILED: ${r.error}`);
          continue;
        }
        console.log(
          `round ${round} ${mode.padEnd(18)} job ${r.jobS.toFixed(2)} s (drain ${r.drainS.toFixed(2)} s, process ${r.processS.toFixed(1)} s, load ${r.load1.toFixed(1)})` +
            `; JVM CPU ${r.jvmCpu!.process.toFixed(1)} s (${Object.entries(r.jvmCpu!.threads).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}; GC ${r.jvmCpu!.gc_wall.toFixed(2)} s)` +
            (r.timer ? `; listener ${fmt(r.listenerEvents!)} events, mean ${(r.timer.mean * 1000).toFixed(1)} µs/event; sidecar CPU ${r.sidecarCpuS.toFixed(1)} s, broker ${r.brokerCpuS.toFixed(1)} s${r.delivery ? `; delivery ${JSON.stringify(r.delivery)}` : ''}` : '') +
            (r.integrity ? `; ${r.arm === 'listener-disabled' ? 'verified' : `integrity (${readS.toFixed(1)} s to read back)`}: ${r.integrity.summary}` : ''),
        );
      }
    }
  } finally {
    await checker.stop();
    sidecarStats = await sidecar?.stop();
    await broker.stop();
  }
  const s = summarize(runs, o.arms, skipped);
  // the arms asked for: a skipped sparkmeasure arm stays in the command that reproduces the run
  const command = `npx tsx testing/bench/spark/run.ts --rounds ${o.rounds} --tasks ${o.tasks} --warmup-tasks ${o.warmupTasks}${armsFlag([...o.arms, ...(Object.keys(skipped) as Arm[])])}${o.order === 'random' ? ` --order random --seed ${o.seed}` : ''}${o.nice ? ` --nice ${o.nice}` : ''}`;
  const md = markdown(runs, s, { command, tasks: o.tasks, warmupTasks: o.warmupTasks, nice: o.nice, tookS: (Date.now() - t0) / 1000, loadBefore, order: o.order === 'random' ? `shuffled, seed ${o.seed}` : `Williams design${unbalanced ? `, ${unbalanced}` : ''}` });
  console.log(`\n${md}\n`);
  if (o.outputJson) writeFileSync(path.resolve(o.outputJson), `${JSON.stringify({ runs, summary: s, sidecarStats }, null, 2)}\n`);
  const failed = runs.filter((r) => !r.ok);
  if (failed.length) {
    console.log(`${failed.length} run(s) failed: ${failed.map((r) => `round ${r.round} ${r.arm}: ${r.error}`).join('; ')}`);
    process.exitCode = 1;
  }
  if (o.docs) {
    updateDoc(o.docs, md);
    console.log(`updated ${path.relative(ROOT, o.docs)} (section "${SECTION}")`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
