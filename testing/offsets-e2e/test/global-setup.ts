// Runs once before the suite: the sidecar runs from its esbuild bundle, so rebuild it (a test
// must never run yesterday's code), and make sure Spark's Kafka connector jars are cached.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureSparkKafkaJars } from './spark-kafka-jars';

export default async function setup(): Promise<void> {
  execFileSync(process.execPath, [resolve(import.meta.dirname, '../../sidecar/build.mjs')], { stdio: 'inherit' });
  await ensureSparkKafkaJars();
}
