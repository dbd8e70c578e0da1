// The README's main command: starts a local Kafka broker and the sidecar, runs the sample
// PySpark job through the sparkwire listener, then reads back and shows what reached Kafka.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker } from '@sparkwire/kafka-broker';
import { readTopic, spawnSidecar } from '@sparkwire/testkit';

const ROOT = resolve(import.meta.dirname, '../../..');
const TOPIC = 'spark-events';

function log(msg: string): void {
  process.stdout.write(`\n==> ${msg}\n`);
}

async function startSidecar(bootstrap: string): Promise<{ address: string; stop(): Promise<void> }> {
  const s = await spawnSidecar({
    args: ['--extended', '--kafka-brokers', bootstrap, '--kafka-topic', TOPIC],
    // The user's own environment: a SPARKWIRE_* they set applies, as with `npx sparkwire serve`.
    baseEnv: process.env,
    stderr: 'inherit',
    startTimeoutMs: 120_000,
    // Pass on only warnings and errors of the sidecar's JSON log.
    onLog: (_line, o) => {
      if (o && o.level >= 40 && o.component !== 'kafkajs') console.log(`    sidecar: ${o.msg}`);
    },
  });
  return {
    address: s.address,
    async stop() {
      await s.stop();
    },
  };
}

async function main(): Promise<number> {
  log('starting a local Kafka broker (Apache Kafka from Maven Central, KRaft, one node)');
  const broker = await startBroker({ dataDir: mkdtempSync(join(tmpdir(), 'sparkwire-quickstart-kafka-')) });
  console.log(`    broker at ${broker.bootstrap}`);
  let sidecar: Awaited<ReturnType<typeof startSidecar>> | undefined;
  try {
    log('starting the sparkwire sidecar (extended mode: task-level events too)');
    sidecar = await startSidecar(broker.bootstrap);
    console.log(`    sidecar at ${sidecar.address}`);

    const python = join(ROOT, '.venv/bin/python');
    if (!existsSync(python)) throw new Error('no .venv: run `npm run setup` first');
    log('running the sample PySpark job (tools/quickstart/sample_job.py) with sparkwire.configure(...)');
    const job = spawnSync(python, [join(ROOT, 'tools/quickstart/sample_job.py')], {
      stdio: 'inherit',
      env: { ...process.env, SPARKWIRE_ENDPOINT: sidecar.address, PYSPARK_PYTHON: python },
    });
    if (job.status !== 0) throw new Error(`sample job failed with exit code ${job.status}`);

    await sidecar.stop();
    sidecar = undefined;
    log(`reading back topic ${TOPIC}`);
    const records = (await readTopic(broker.bootstrap, TOPIC, 1)).map((r) => JSON.parse(r.value.toString()));
    const counts = new Map<string, number>();
    for (const r of records) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
    console.log(`    ${records.length} records in Kafka (sparkMeasure-compatible JSON), by name:`);
    for (const [name, n] of [...counts].sort()) console.log(`      ${name.padEnd(28)} ${n}`);
    const stage = records.find((r) => r.name === 'stage_metrics' && r.shuffleBytesWritten > 0) ?? records.find((r) => r.name === 'stage_metrics');
    if (stage) {
      console.log('    one stage_metrics record:');
      const { name, appId, appName, stageId, stageName, numTasks, executorRunTime, executorCpuTime, shuffleBytesWritten, shuffleRecordsRead, labels } = stage;
      console.log(`      ${JSON.stringify({ name, appId, appName, stageId, stageName, numTasks, executorRunTime, executorCpuTime, shuffleBytesWritten, shuffleRecordsRead, labels })}`);
    }
    for (const p of records.filter((r) => r.name === 'streaming_progress')) {
      console.log(`    streaming batch ${p.batchId}: numInputRows=${p.numInputRows} inputRowsPerSecond=${p.inputRowsPerSecond} processedRowsPerSecond=${p.processedRowsPerSecond}`);
    }
    const obs = records.find((r) => r.name === 'observations');
    if (obs) console.log(`    observation ${obs.observationName}: ${JSON.stringify(obs.numeric)}`);
    const failed = records.filter((r) => r.name === 'task_metrics' && r.failed).length;
    console.log(`    failed task attempts reported: ${failed}`);
    if (!counts.get('applications_ended')) throw new Error('the application end did not reach Kafka');
    log('done: Spark -> sparkwire listener -> sidecar -> Kafka');
    return 0;
  } finally {
    await sidecar?.stop();
    await broker.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`quickstart failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
