// Spark's Kafka connector for pyspark 4.0.1, fetched from Maven Central with the small pom in
// ../spark-kafka (mvn dependency:copy-dependencies) into <repo>/.cache/spark-kafka-4.0.1 and
// handed to Spark as spark.jars. Cheap when cached: a marker holds the pom's hash.
// `npx tsx test/spark-kafka-jars.ts` fetches them by hand.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const HERE = import.meta.dirname;
const POM = resolve(HERE, '../spark-kafka/pom.xml');
const REPO = resolve(HERE, '../../..');

export function sparkKafkaDir(): string {
  return join(resolve(process.env.SPARKWIRE_CACHE || join(REPO, '.cache')), 'spark-kafka-4.0.1');
}

/** The jars' paths, fetching them first when needed. */
export async function ensureSparkKafkaJars(): Promise<string[]> {
  const dir = sparkKafkaDir();
  const libs = join(dir, 'libs');
  const marker = join(dir, '.fetched');
  const want = createHash('sha256').update(readFileSync(POM)).digest('hex');
  const fresh = () => existsSync(marker) && readFileSync(marker, 'utf8').trim() === want && existsSync(libs);
  if (!fresh()) {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `libs.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    const r = spawnSync('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`fetching Spark's Kafka connector with Maven failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`);
    }
    rmSync(libs, { recursive: true, force: true });
    renameSync(tmp, libs);
    writeFileSync(marker, want + '\n');
  }
  const jars = readdirSync(libs).filter((f) => f.endsWith('.jar')).map((f) => join(libs, f));
  if (!jars.some((j) => j.includes('spark-sql-kafka-0-10'))) throw new Error(`${libs} has no spark-sql-kafka-0-10 jar`);
  return jars;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const j of await ensureSparkKafkaJars()) console.log(j);
}
