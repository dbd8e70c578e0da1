/**
 * The arms of the Spark listener overhead benchmark (run.ts) and what they need:
 *   none                no listener (the baseline of every round);
 *   sparkwire-extended  sparkwire, extended mode (task events too) -> the sidecar -> Kafka;
 *   sparkwire-stage     sparkwire, stage level (extended off: no task events);
 *   sparkmeasure        sparkMeasure 0.28's KafkaSink + KafkaSinkExtended (the incumbent, as its
 *                       docs suggest registering them) -> the same broker, its own topic;
 *   listener-disabled   optional (only with --arms): the sparkwire listener registered exactly as
 *                       at stage level (sparkwire.configure: spark.jars, spark.extraListeners) but
 *                       with spark.sparkwire.enabled=false, so Spark builds the shared listener
 *                       queue and its thread and delivers every event to a listener that returns
 *                       at once: Spark's own cost of one registered listener, which bounds what
 *                       the stage-level target can reach. Nothing is sent; each run is verified
 *                       disabled instead (verifyDisabled).
 * sparkMeasure is a comparator only: its jar is taken from a path (never copied into the
 * repository) and kafka-clients 3.9.1 from the local Maven repository (fetched from Maven
 * Central with `mvn dependency:get` when missing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rng, williamsRows } from './stats';

/** Every arm, in the order of the report's columns (and of the Williams design's indices). */
export const ARMS = ['none', 'listener-disabled', 'sparkwire-extended', 'sparkwire-stage', 'sparkmeasure'] as const;
export type Arm = (typeof ARMS)[number];
/** The arms of a run without --arms (listener-disabled is only run when asked for). */
export const DEFAULT_ARMS: readonly Arm[] = ['none', 'sparkwire-extended', 'sparkwire-stage', 'sparkmeasure'];

export const ARM_LABEL: Record<Arm, string> = {
  none: 'no listener',
  'listener-disabled': "sparkwire listener registered, disabled (Spark's listener-bus cost alone)",
  'sparkwire-extended': 'sparkwire extended',
  'sparkwire-stage': 'sparkwire stage level',
  sparkmeasure: 'sparkMeasure KafkaSink + KafkaSinkExtended',
};

/**
 * sparkMeasure's jar is a comparator, never part of the repository: $SPARKWIRE_SPARKMEASURE_JAR,
 * else the team's shared vendor folder beside the checkout (../shared/vendor/sparkmeasure/).
 */
export const DEFAULT_SPARKMEASURE_JAR = process.env.SPARKWIRE_SPARKMEASURE_JAR || path.resolve(import.meta.dirname, '../../../../shared/vendor/sparkmeasure/spark-measure_2.13-0.28.jar');
export const KAFKA_CLIENTS = 'org.apache.kafka:kafka-clients:3.9.1';
export const SPARKMEASURE_LISTENERS = ['ch.cern.sparkmeasure.KafkaSink', 'ch.cern.sparkmeasure.KafkaSinkExtended'];

/** --arms: a comma-separated list of arms; none is always added; the result is in ARMS order, each arm once. */
export function parseArms(list: string): Arm[] {
  const arms = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of arms) if (!(ARMS as readonly string[]).includes(a)) throw new Error(`--arms: unknown arm ${a!}: one of ${ARMS.join(', ')}`);
  const set = new Set(arms as Arm[]);
  set.add('none'); // every ratio is to the none run of the same round
  return ARMS.filter((a) => set.has(a));
}

/** The --arms flag that reproduces a run of these arms ('' for the default arms). */
export function armsFlag(arms: readonly Arm[]): string {
  const set = new Set(arms);
  const same = set.size === DEFAULT_ARMS.length && DEFAULT_ARMS.every((a) => set.has(a));
  return same ? '' : ` --arms ${ARMS.filter((a) => set.has(a)).join(',')}`;
}

/**
 * Rounds that balance the Williams design for k arms (every arm in every position and after
 * every other arm equally often): k for an even k, 2k for an odd k (the rows and their mirrors).
 */
export const balancedRounds = (k: number): number => williamsRows(k).length;

/** The order of the arms in each round: rows of a Williams design (cycled), or seeded shuffles. */
export function roundOrders(arms: readonly Arm[], rounds: number, order: 'williams' | 'random', seed: number): Arm[][] {
  if (order === 'williams') {
    const rows = williamsRows(arms.length);
    return Array.from({ length: rounds }, (_, r) => rows[r % rows.length].map((i) => arms[i]));
  }
  const rand = rng(seed);
  return Array.from({ length: rounds }, () => {
    const a = [...arms];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  });
}

export const SPARKWIRE_LISTENER = 'io.sparkwire.spark.SparkwireListener';

/** What bench_job.py reads from the driver after the measured job (through py4j). */
export interface ListenerProbe {
  /** Class names of every listener on the driver's LiveListenerBus (all queues). */
  listeners?: string[];
  /** Per SparkwireListener on the bus: whether its client field is set (null: it does nothing). */
  sparkwire_clients?: boolean[];
  /** spark.sparkwire.enabled and spark.extraListeners of the running SparkContext. */
  enabled_conf?: string | null;
  extra_listeners?: string | null;
  error?: string;
}

/**
 * Whether a listener-disabled run really had the sparkwire listener registered and disabled:
 *  - exactly one SparkwireListener on the driver's listener bus, named in spark.extraListeners;
 *  - its client is null (SparkwireListener: every callback returns at once) and
 *    spark.sparkwire.enabled is "false";
 *  - no client ran: no end-of-application "closed: ... events acknowledged" line, and neither
 *    the wrong-jar error nor "could not start" (the other two ways the client ends up null);
 *  - Spark delivered the measured job's events to it: its listenerProcessingTime timer counted
 *    at least one TaskStart and one TaskEnd per measured task.
 * (The listener's own INFO line "sparkwire: disabled" is not used: it is logged while the
 * SparkContext starts, when PySpark's console appender still drops INFO, before bench_job.py
 * raises io.sparkwire's level.)
 */
export function verifyDisabled(probe: ListenerProbe | undefined, stderr: string, listenerEvents: number | undefined, tasks: number): { ok: boolean; summary: string } {
  const problems: string[] = [];
  if (!probe) problems.push('no listener probe from the bench job');
  else if (probe.error) problems.push(`listener probe failed: ${probe.error}`);
  else {
    const n = (probe.listeners ?? []).filter((c) => c === SPARKWIRE_LISTENER).length;
    if (n !== 1) problems.push(`${n} ${SPARKWIRE_LISTENER} on the listener bus, expected 1`);
    if (!(probe.extra_listeners ?? '').split(',').map((s) => s.trim()).includes(SPARKWIRE_LISTENER)) problems.push(`spark.extraListeners is ${JSON.stringify(probe.extra_listeners ?? null)}`);
    const clients = probe.sparkwire_clients ?? [];
    if (clients.length !== n) problems.push(`client state read for ${clients.length} of ${n} listeners`);
    if (clients.some(Boolean)) problems.push('the listener has a client (it is enabled)');
    if (probe.enabled_conf !== 'false') problems.push(`spark.sparkwire.enabled is ${JSON.stringify(probe.enabled_conf ?? null)}, expected "false"`);
  }
  if (/closed: \d+ events acknowledged/.test(stderr)) problems.push("the listener's client ran (end-of-application delivery line)");
  if (stderr.includes('sparkwire: this listener jar')) problems.push('the listener jar does not fit this Spark (disabled by the version check, not by the setting)');
  if (stderr.includes('sparkwire: listener disabled, could not start')) problems.push('the listener failed to start (disabled by an error, not by the setting)');
  if (listenerEvents === undefined) problems.push("no listenerProcessingTime timer for the listener: Spark did not deliver events to it");
  else if (listenerEvents < 2 * tasks) problems.push(`Spark delivered ${listenerEvents} events to the listener during the measured job, fewer than the ${2 * tasks} task start/end events of its ${tasks} tasks`);
  if (problems.length) return { ok: false, summary: problems.join('; ') };
  return { ok: true, summary: `registered and disabled: 1 ${SPARKWIRE_LISTENER} on the bus with no client, spark.sparkwire.enabled=false, ${listenerEvents!.toLocaleString('en-US')} events delivered to it in the measured job, nothing sent` };
}

/** The local Maven repository: ~/.m2/repository, or $MAVEN_REPO_LOCAL (passed to mvn as -Dmaven.repo.local). */
function m2Repo(): string {
  return process.env.MAVEN_REPO_LOCAL ?? path.join(os.homedir(), '.m2', 'repository');
}

/** kafka-clients 3.9.1's jar in ~/.m2, fetched with `mvn -q dependency:get` when missing. */
export function resolveKafkaClientsJar(): string {
  const [g, a, v] = KAFKA_CLIENTS.split(':');
  const jar = path.join(m2Repo(), ...g.split('.'), a, v, `${a}-${v}.jar`);
  if (existsSync(jar)) return jar;
  console.log(`fetching ${KAFKA_CLIENTS} from Maven Central (mvn -q dependency:get) for the sparkmeasure arm`);
  try {
    const repo = process.env.MAVEN_REPO_LOCAL ? [`-Dmaven.repo.local=${process.env.MAVEN_REPO_LOCAL}`] : [];
    execFileSync('mvn', ['-q', 'dependency:get', `-Dartifact=${KAFKA_CLIENTS}`, '-Dtransitive=false', ...repo], { stdio: 'inherit' });
  } catch (err) {
    throw new Error(`could not fetch ${KAFKA_CLIENTS} with \`mvn -q dependency:get -Dartifact=${KAFKA_CLIENTS}\` (${(err as Error).message}); fetch it by hand, pass --kafka-clients-jar PATH, or leave the sparkmeasure arm out (--arms)`);
  }
  if (!existsSync(jar)) throw new Error(`mvn dependency:get succeeded but ${jar} is not there: pass --kafka-clients-jar PATH`);
  return jar;
}

/**
 * The jars of the sparkmeasure arm (spark.jars), or the reason it is skipped. An explicit
 * --sparkmeasure-jar that does not exist is an error; a missing default skips the arm.
 */
export function sparkMeasureJars(opt: { sparkMeasureJar?: string; kafkaClientsJar?: string }): { jars: string[] } | { skip: string } {
  const explicit = opt.sparkMeasureJar !== undefined;
  const jar = path.resolve(opt.sparkMeasureJar ?? DEFAULT_SPARKMEASURE_JAR);
  if (!existsSync(jar)) {
    if (explicit) throw new Error(`--sparkmeasure-jar ${jar}: no such file`);
    return { skip: `sparkMeasure jar not found at ${DEFAULT_SPARKMEASURE_JAR} (pass --sparkmeasure-jar PATH)` };
  }
  let clients: string;
  if (opt.kafkaClientsJar !== undefined) {
    clients = path.resolve(opt.kafkaClientsJar);
    if (!existsSync(clients)) throw new Error(`--kafka-clients-jar ${clients}: no such file`);
  } else clients = resolveKafkaClientsJar();
  for (const j of [jar, clients]) if (j.includes(',')) throw new Error(`${j}: a path with a comma cannot go into spark.jars`);
  return { jars: [jar, clients] };
}
