// The spool as createPipeline wires it: on by default with Kafka, off for the file sink,
// the directory per listen address, and the event ids of a crashed process's spool answering
// client resends as duplicates. Kafka is unreachable here: the spool accepts anyway.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticApplication } from '@sparkwire/testkit';
import { ConfigError, parseConfig } from './config';
import { createPipeline } from './create-pipeline';
import { createLogger } from './logger';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sdk-spool-'));
  dirs.push(d);
  return d;
};
const quiet = { logger: createLogger('silent') };
const unreachable = { brokers: ['127.0.0.1:1'], connectTimeoutMs: 200, retries: 1 };
const app = syntheticApplication({ appId: 'app-wiring', stagesPerJob: [1], tasksPerStage: 3, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0, startMs: Date.now() - 60_000 });

describe('spool wiring', () => {
  it('is on with Kafka, off with the file sink, and refuses a segment size above a quarter of the cap', () => {
    const withKafka = createPipeline({ kafka: unreachable, spool: { dir: tmp() } }, quiet);
    expect(withKafka.spool).toBeDefined();
    expect(withKafka.sink).toBe(withKafka.spool);
    const fileOnly = createPipeline({ file: { dir: tmp() } }, quiet);
    expect(fileOnly.spool).toBeUndefined();
    expect(() => parseConfig({ spool: { maxBytes: 100 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024 } })).toThrow(ConfigError);
    expect(() => parseConfig({ spool: { maxBytes: 100 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024 } })).toThrow(/spool.segmentBytes/);
  });

  it('accepts while Kafka is down; after a crash the new process treats the spooled events as already published', async () => {
    const dir = tmp();
    const first = createPipeline({ extended: true, kafka: unreachable, spool: { dir } }, quiet);
    await first.start();
    expect(first.backendReady()).toBe(false);
    expect(first.sink.isReady()).toBe(true);
    const r = await first.pipeline.publish({ clientId: 'jvm-1', batchSeq: 7n, events: app, clientStats: undefined });
    expect(r.accepted).toBe(app.length);
    // kill -9: nothing is closed. (Stop this process's publishing so it does not run on.)
    await (first.spool as unknown as { drainer: { stop(ms: number): Promise<void> } }).drainer.stop(0);

    const next = createPipeline({ extended: true, kafka: unreachable, spool: { dir } }, quiet);
    await next.start();
    expect(next.spool!.recovered!.tail.entries).toBe(1);
    // The client never got its ack and resends the batch to the restarted sidecar.
    const resent = await next.pipeline.publish({ clientId: 'jvm-1', batchSeq: 7n, events: app, clientStats: undefined });
    expect(resent).toMatchObject({ accepted: 0, duplicates: app.length });
    expect(next.spool!.stats().appendedEntries).toBe(0);
    await Promise.all([first.close(), next.close()]);
  });
});
