// Runs once before the suite: the sidecar runs from its esbuild bundle, so rebuild it (a test
// must never run yesterday's code), and make sure Spark's Kafka connector jars are cached.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureSparkKafkaJars } from './spark-kafka-jars';
import { REPO_ROOT } from '@sparkwire/testkit';

export default async function setup(): Promise<void> {
  execFileSync(process.execPath, [join(REPO_ROOT, 'apps/sidecar/build.mjs')], { stdio: 'inherit' });
  await ensureSparkKafkaJars();
}
