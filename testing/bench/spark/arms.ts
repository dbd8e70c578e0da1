/**
 * The arms of the Spark listener overhead benchmark (run.ts) and what they need:
 *   none                no listener (the baseline of every round);
 *   sparkwire-extended  sparkwire, extended mode (task events too) -> the sidecar -> Kafka;
 *   sparkwire-stage     sparkwire, stage level (extended off: no task events);
 *   sparkmeasure        sparkMeasure 0.28's KafkaSink + KafkaSinkExtended (the incumbent, as its
 *                       docs suggest registering them) -> the same broker, its own topic.
 * sparkMeasure is a comparator only: its jar is taken from a path (never copied into the
 * repository) and kafka-clients 3.9.1 from the local Maven repository (fetched from Maven
 * Central with `mvn dependency:get` when missing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ARMS = ['none', 'sparkwire-extended', 'sparkwire-stage', 'sparkmeasure'] as const;
export type Arm = (typeof ARMS)[number];

export const ARM_LABEL: Record<Arm, string> = {
  none: 'no listener',
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

export function parseArms(list: string): Arm[] {
  const arms = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of arms) if (!(ARMS as readonly string[]).includes(a)) throw new Error(`--arms: unknown arm ${a!}: one of ${ARMS.join(', ')}`);
  const set = new Set(arms as Arm[]);
  set.add('none'); // every ratio is to the none run of the same round
  return ARMS.filter((a) => set.has(a));
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
