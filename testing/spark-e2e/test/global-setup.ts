// Once per vitest run, though every Spark line's project (vitest.config.ts) runs this file:
// - rebuild the sidecar bundle: the tests run the sidecar as its own process from it, and must
//   never run yesterday's code (as apps/sidecar/test/global-setup.ts does);
// - start the one Kafka broker the run's files and lines share (test/broker.ts: each line
//   writes its own topics), provided to each Spark line's project as `kafkaBootstrap`.
// The listener jars (libs/spark-listener/lines/*/target) and each line's venv come from
// `npm run setup`; say so if missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { LISTENER_JAR_DIRS, ROOT } from './harness';

interface RunState {
  sidecarBuilt?: boolean;
  broker?: Promise<Broker>;
}
const key = Symbol.for('sparkwire.spark-e2e.globalSetup');
const state: RunState = ((globalThis as Record<symbol, RunState>)[key] ??= {});

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!state.sidecarBuilt) {
    execFileSync(process.execPath, [join(ROOT, 'apps/sidecar/build.mjs')], { stdio: 'inherit' });
    for (const dir of LISTENER_JAR_DIRS.filter((d) => !existsSync(d))) {
      console.warn(`spark-e2e: ${dir} not built; the jar packaged in the venv's sparkwire is used for that line`);
    }
    state.sidecarBuilt = true;
  }
  const venv = project.config.env?.SPARKWIRE_SPARK_VENV;
  if (!venv) return undefined; // the golden-format project (and vitest's root project): no Spark, no broker
  if (!existsSync(resolve(ROOT, venv, 'bin/python'))) {
    throw new Error(`${resolve(ROOT, venv)} is missing (project ${project.name}): run \`npm run setup\` (tools/setup.sh makes one venv per Spark line)`);
  }
  let teardown: (() => Promise<void>) | undefined;
  if (!state.broker) {
    const started = (state.broker = startBroker());
    teardown = async () => {
      state.broker = undefined;
      await (await started).stop();
    };
  }
  project.provide('kafkaBootstrap', (await state.broker).bootstrap);
  return teardown;
}
