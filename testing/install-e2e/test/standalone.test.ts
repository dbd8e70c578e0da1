// The standalone single-file sidecar (apps/sidecar/dist/sparkwire.mjs: every npm dependency
// inlined, the .proto files embedded) copied alone into an empty directory outside the
// repository and run with nothing but `node`: it serves, takes batches, delivers them to the
// file sink and to a real Kafka broker, and drains and exits 0 on SIGTERM. And shutdown as
// Kubernetes does it (SIGTERM, SIGKILL after the grace period, with Kafka unreachable): every
// acked event reaches Kafka once the sidecar restarts on the same spool.
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { batches, ListenerClient, readTopic, syntheticApplication } from '@sparkwire/testkit';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import type { SparkEvent } from '@sparkwire/proto';
import { STANDALONE, emptyDir, killAfterGrace, serveFrom, waitFor } from './helpers';

const app = (appId: string): SparkEvent[] =>
  syntheticApplication({ appId, stagesPerJob: [2, 1], tasksPerStage: 20, executors: 2, sqlExecutions: 1, failedTasks: 1, streamingProgress: 1, startMs: Date.now() - 600_000 });
const req = (events: SparkEvent[], seq: number, clientId: string) => ({ clientId, batchSeq: BigInt(seq), events, clientStats: undefined }) as any;

/** A directory holding only sparkwire.mjs. */
function standaloneDir(prefix: string): string {
  const dir = emptyDir(prefix);
  copyFileSync(STANDALONE, join(dir, 'sparkwire.mjs'));
  expect(readdirSync(dir)).toEqual(['sparkwire.mjs']);
  return dir;
}

const serve = (dir: string, args: string[]) => serveFrom(process.execPath, ['sparkwire.mjs', 'serve', '--server-port', '0', '--metrics-port', '0', ...args], { cwd: dir });

describe('standalone sparkwire.mjs, alone in an empty directory', () => {
  it('prints its version and help without any node_modules', async () => {
    const dir = standaloneDir('standalone-version');
    const { execFileSync } = await import('node:child_process');
    const version = execFileSync(process.execPath, ['sparkwire.mjs', '--version'], { cwd: dir, encoding: 'utf8' }).trim();
    expect(version).toBe(JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')).version);
    expect(execFileSync(process.execPath, ['sparkwire.mjs', 'serve', '--help'], { cwd: dir, encoding: 'utf8' })).toContain('--kafka-sasl-password-file');
  });

  it('file sink: serves health and reflection, writes a batch, drains and exits 0 on SIGTERM', async () => {
    const dir = standaloneDir('standalone-file');
    const s = await serve(dir, ['--extended']);
    expect(await s.health('')).toBe('SERVING');
    expect(await s.health('sparkwire.v1.ListenerService')).toBe('SERVING');
    expect(await s.health('sparkwire.file')).toBe('SERVING');
    // `sparkwire health` (the image's HEALTHCHECK): 0 when SERVING, 1 otherwise (here: a name not reported).
    const { spawnSync } = await import('node:child_process');
    const health = (service: string) => spawnSync(process.execPath, ['sparkwire.mjs', 'health', '--address', s.address, '--service', service], { cwd: dir, encoding: 'utf8' });
    expect(health('sparkwire.v1.ListenerService')).toMatchObject({ status: 0, stdout: 'SERVING\n' });
    expect(health('sparkwire.kafka')).toMatchObject({ status: 1 });
    expect(health('sparkwire.kafka').stderr).toMatch(/NOT_FOUND/);
    const client = new ListenerClient(s.address);
    const events = app('app-standalone-file');
    const r = await client.publish(req(events, 1, 'c1'));
    expect(r.accepted).toBe(events.length);
    client.close();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(s.records().find((l) => l.msg === 'sparkwire sidecar stopped')?.how).toBe('closed');
    const files = readdirSync(join(dir, 'sparkwire-data/events'));
    const lines = files.flatMap((f) => readFileSync(join(dir, 'sparkwire-data/events', f), 'utf8').trim().split('\n'));
    expect(new Set(lines.map((l) => JSON.parse(l).eventId)).size).toBe(events.length);
  });

  describe('with a real Kafka broker', () => {
    let broker: Broker;
    beforeAll(async () => {
      broker = await startBroker();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    it('publishes a batch into Kafka, drains and exits 0 on SIGTERM', async () => {
      const dir = standaloneDir('standalone-kafka');
      const s = await serve(dir, ['--extended', '--kafka-brokers', broker.bootstrap, '--kafka-topic', 'standalone-events', '--kafka-partitions', '1']);
      await waitFor('sparkwire.kafka SERVING', async () => (await s.health('sparkwire.kafka')) === 'SERVING');
      const events = app('app-standalone-kafka');
      const client = new ListenerClient(s.address);
      const stream = client.openStream();
      const acks = await Promise.all(batches(events, 40).map((b, i) => stream.send(req(b, i + 1, 'c1'))));
      expect(acks.every((a) => a.errorCode === 0)).toBe(true);
      await stream.end();
      client.close();
      expect(await s.stop('SIGTERM')).toBe(0);
      const want = events.flatMap((e) => toSparkMeasureRecords(e)).length;
      const got = await readTopic(broker.bootstrap, 'standalone-events', want);
      const ids = got.map((r) => JSON.parse(r.value.toString())).map((v) => `${v.eventId}/${v.name}`);
      expect(new Set(ids).size).toBe(want);
      expect(ids.length).toBe(want);
    });

    it('Kubernetes shutdown with Kafka unreachable, by SIGTERM and by SIGKILL: every acked event reaches Kafka after a restart on the same spool', async () => {
      const dir = standaloneDir('standalone-grace');
      const args = ['--extended', '--kafka-brokers', broker.bootstrap, '--kafka-topic', 'grace-events', '--kafka-partitions', '1', '--spool-dir', 'spool', '--shutdown-deadline-ms', '2000', '--kafka-connect-timeout-ms', '500', '--kafka-retries', '1'];
      const publish = async (s: Awaited<ReturnType<typeof serve>>, events: SparkEvent[], seq: number) => {
        const client = new ListenerClient(s.address);
        expect((await client.publish(req(events, seq, 'c1'))).accepted).toBe(events.length);
        client.close();
      };
      const s1 = await serve(dir, args);
      await waitFor('sparkwire.kafka SERVING', async () => (await s1.health('sparkwire.kafka')) === 'SERVING');
      const apps = [app('app-grace-1'), app('app-grace-2'), app('app-grace-3')];
      await publish(s1, apps[0], 1);
      await broker.stop();
      // Acked once in the spool, while nothing can reach Kafka.
      await publish(s1, apps[1], 2);
      // Pod deletion: SIGTERM, SIGKILL if still there after the grace period (5 s here).
      const ended = await killAfterGrace(s1, 5_000);
      // The container restarted (same pod, same emptyDir), Kafka still down: one more acked
      // batch, then SIGKILL (the kubelet after the grace period, or the OOM killer).
      const s2 = await serve(dir, args);
      await publish(s2, apps[2], 3);
      expect(await s2.stop('SIGKILL')).toBe(-1);
      await broker.restart();
      const s3 = await serve(dir, args);
      const want = apps.flat().flatMap((e) => toSparkMeasureRecords(e)).length;
      const got = await readTopic(broker.bootstrap, 'grace-events', want);
      const ids = got.map((r) => JSON.parse(r.value.toString())).map((v) => `${v.eventId}/${v.name}`);
      expect(new Set(ids).size).toBe(want);
      expect(ids.length).toBe(want);
      expect(await s3.stop('SIGTERM')).toBe(0);
      console.log(`SIGTERM with Kafka down: ${ended.killed ? 'SIGKILLed after the grace period' : `exited ${ended.code} within the grace period`}; then SIGKILL after an acked batch; all ${want} records in Kafka once`);
    });
  });
});
