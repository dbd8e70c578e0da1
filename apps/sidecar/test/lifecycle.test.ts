// What an operator expects of the process, tested on the real thing: a real broker
// (testing/kafka), `sparkwire serve` as its own process (through the bin script and through
// npx), the real grpcurl for calls (.cache/bin, built by tools/setup.sh).
//
//  - a clean start against a fresh broker logs nothing at error level;
//  - a port that cannot be bound (gRPC or metrics) ends the process with code 1 and a message,
//    whatever the sink;
//  - health follows the broker within seconds while idle, and shows the spool drainer's state
//    (health entry sparkwire.spool, metrics), back to SERVING once the broker is back;
//  - a signal to the process a user started (npx, the bin script) ends it, no orphan left.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { envWithout, freePort, holdPort, portIsFree, readTopic, type SidecarProcess, spawnSidecar, testStateDir, waitFor } from '@sparkwire/testkit';
import { metricsAddress, scrape } from './otel-helpers';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'apps/sidecar/bin/sparkwire.js');
const GRPCURL = join(process.env.SPARKWIRE_CACHE ?? join(REPO, '.cache'), 'bin', 'grpcurl');
const NPX = existsSync(join(dirname(process.execPath), 'npx')) ? join(dirname(process.execPath), 'npx') : 'npx';

let broker: Broker;
const started: SidecarProcess[] = [];

beforeAll(async () => {
  if (!existsSync(GRPCURL)) throw new Error(`${GRPCURL} is missing: run npm run setup (tools/setup.sh builds grpcurl)`);
  broker = await startBroker();
});
afterAll(async () => {
  for (const s of started) await s.stop();
  await broker?.stop();
});

async function sidecar(args: string[]): Promise<SidecarProcess> {
  const s = await spawnSidecar({ args });
  started.push(s);
  return s;
}

const levelOf = (line: string): number | undefined => {
  try {
    return (JSON.parse(line) as { level?: number }).level;
  } catch {
    return undefined;
  }
};

/** Publish one batch of `n` applicationStart events through grpcurl (JSON over reflection). */
function publish(address: string, clientId: string, batchSeq: number, n: number): Promise<Record<string, unknown>> {
  const now = Date.now();
  const events = Array.from({ length: n }, (_, i) => ({
    event_id: `${clientId}-${batchSeq}-${i}`,
    app_id: `app-${clientId}`,
    app_name: 'lifecycle',
    event_time_ms: String(now),
    application_start: { start_time_ms: String(now), spark_user: 'ops' },
  }));
  const data = JSON.stringify({ client_id: clientId, batch_seq: String(batchSeq), events });
  return new Promise((res, rej) =>
    execFile(GRPCURL, ['-plaintext', '-max-time', '20', '-d', data, address, 'sparkwire.v1.ListenerService/Publish'], (err, stdout, stderr) =>
      err ? rej(new Error(`publish failed: ${stderr}`)) : res(JSON.parse(stdout)),
    ),
  );
}

/** Runs `sparkwire serve` expecting it to end by itself; kills it (and fails) if it is still running after timeoutMs. */
function runToExit(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; out: string; lines: string[] }> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...envWithout(), SPARKWIRE_STATE_DIR: testStateDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`still running after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, out, lines: out.split('\n').filter(Boolean) });
    });
  });
}

/** Live (non-zombie) processes of a process group. */
function groupMembers(pgid: number): Promise<number[]> {
  return new Promise((res, rej) =>
    execFile('ps', ['-eo', 'pid=,pgid=,stat='], (err, stdout) => {
      if (err) return rej(err);
      res(
        stdout
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((f) => f.length === 3 && Number(f[1]) === pgid && !f[2].startsWith('Z'))
          .map((f) => Number(f[0])),
      );
    }),
  );
}

/** Starts a command in its own process group and waits for the sidecar's ready line. */
async function startInGroup(cmd: string, args: string[], cwd: string): Promise<{ proc: ChildProcess; logs: string[]; exited: Promise<number | null> }> {
  const s = await spawnSidecar({ command: cmd, commandArgs: args, cwd, detached: true, startTimeoutMs: 60_000 });
  return { proc: s.proc, logs: s.logs, exited: s.exited };
}

describe('sparkwire serve as operators run it', () => {
  // First: the broker is fresh only once (its coordinators load on first use).
  it('a clean start against a fresh broker logs nothing at error level', async () => {
    const s = await sidecar(['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'fresh-events', '--offsets-enabled', 'true', '--metrics-port', '0']);
    await waitFor('kafka SERVING', async () => (await s.health('sparkwire.kafka')) === 'SERVING');
    expect(await publish(s.address, 'fresh', 1, 5)).toMatchObject({ accepted: 5 });
    expect(await readTopic(broker.bootstrap, 'fresh-events', 5)).toHaveLength(5);
    // The offsets lag monitor polls the (new) consumer offsets topic too.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await s.stop()).toBe(0);
    const errors = s.logs.filter((l) => (levelOf(l) ?? 0) >= 50);
    expect(errors, errors.join('\n')).toEqual([]);
    const kafkajsWarnings = s.logs.filter((l) => levelOf(l) === 40 && l.includes('"component":"kafkajs"'));
    expect(kafkajsWarnings, kafkajsWarnings.join('\n')).toEqual([]);
  });

  describe('a port that cannot be bound ends the process with code 1 and a message, whatever the sink', () => {
    const dir = () => mkdtempSync(join(tmpdir(), 'sw-port-'));
    const sinks: Array<[string, () => string[]]> = [
      ['file sink', () => ['--file-dir', dir()]],
      ['Kafka', () => ['--kafka-brokers', broker.bootstrap, '--spool-dir', dir()]],
    ];
    for (const [sink, sinkArgs] of sinks) {
      it(`gRPC port taken (${sink})`, async () => {
        const held = await holdPort(0);
        const port = (held.address() as net.AddressInfo).port;
        try {
          const r = await runToExit(['--server-port', String(port), '--metrics-port', '0', ...sinkArgs()]);
          expect(r.code, r.out).toBe(1);
          expect(r.out).toContain(`sparkwire: server.port: cannot listen on 127.0.0.1:${port}`);
          expect(r.out).toMatch(/EADDRINUSE/);
        } finally {
          held.close();
        }
      });

      it(`metrics port taken (${sink})`, async () => {
        const held = await holdPort(0);
        const port = (held.address() as net.AddressInfo).port;
        const grpcPort = await freePort();
        try {
          const r = await runToExit(['--server-port', String(grpcPort), '--metrics-port', String(port), ...sinkArgs()]);
          expect(r.code, r.out).toBe(1);
          expect(r.out).toContain(`sparkwire: metrics.port: cannot listen on 127.0.0.1:${port}`);
          // The gRPC port it had bound is released.
          expect(await portIsFree(grpcPort)).toBe(true);
        } finally {
          held.close();
        }
      });
    }
  });

  it('health follows the broker within seconds while idle, and shows the spool drainer', async () => {
    const s = await sidecar(['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'outage-events', '--metrics-port', '0']);
    const metrics = metricsAddress(s);
    const health = async () => ({ kafka: await s.health('sparkwire.kafka'), spool: await s.health('sparkwire.spool'), listener: await s.health('sparkwire.v1.ListenerService') });
    await waitFor('kafka SERVING', async () => (await s.health('sparkwire.kafka')) === 'SERVING');
    expect(await health()).toEqual({ kafka: 'SERVING', spool: 'SERVING', listener: 'SERVING' });
    expect((await scrape(metrics)).value('sparkwire_spool_drainer_state', { state: 'idle' })).toBe(1);

    for (const outage of ['stop', 'kill'] as const) {
      // Idle: nothing is being sent when the broker goes away.
      if (outage === 'stop') await broker.stop();
      else broker.kill();
      const gone = Date.now();
      await waitFor('kafka NOT_SERVING', async () => (await s.health('sparkwire.kafka')) === 'NOT_SERVING', 10_000);
      const noticedMs = Date.now() - gone;
      expect(noticedMs).toBeLessThan(8_000); // default kafka.healthProbeIntervalMs 2000
      // Idle and nothing pending: the spool is fine, and the sidecar still accepts (into the spool).
      expect(await health()).toEqual({ kafka: 'NOT_SERVING', spool: 'SERVING', listener: 'SERVING' });
      expect((await scrape(metrics)).value('sparkwire_sink_ready', { sink: 'kafka' })).toBe(0);

      // A batch acked during the outage waits in the spool: the drainer says so.
      expect(await publish(s.address, `outage-${outage}`, 1, 3)).toMatchObject({ accepted: 3 });
      await waitFor('spool NOT_SERVING', async () => (await s.health('sparkwire.spool')) === 'NOT_SERVING', 5_000);
      const during = await scrape(metrics);
      expect(during.value('sparkwire_spool_drainer_state', { state: 'waiting_for_kafka' })).toBe(1);
      expect(during.value('sparkwire_spool_drainer_state', { state: 'idle' })).toBe(0);
      expect(during.value('sparkwire_spool_pending_entries')).toBeGreaterThanOrEqual(1);
      expect(s.logs.some((l) => l.includes('"spool drainer state"') && l.includes('"drainer":"waiting_for_kafka"'))).toBe(true);

      await broker.restart();
      await waitFor('kafka SERVING again', async () => (await s.health('sparkwire.kafka')) === 'SERVING', 30_000);
      await waitFor('spool SERVING again', async () => (await s.health('sparkwire.spool')) === 'SERVING', 30_000);
      await waitFor('the spool drained', async () => (await scrape(metrics)).value('sparkwire_spool_drainer_state', { state: 'idle' }) === 1, 30_000);
      const after = await scrape(metrics);
      expect(after.value('sparkwire_sink_ready', { sink: 'kafka' })).toBe(1);
      expect(after.value('sparkwire_spool_pending_entries')).toBe(0);
      expect(after.value('sparkwire_spool_drainer_state', { state: 'idle' })).toBe(1);
    }
    // What was acked during the outages reached Kafka.
    const got = await readTopic(broker.bootstrap, 'outage-events', 6);
    expect(got.map((r) => JSON.parse(r.value.toString()).eventId).sort()).toEqual(['outage-kill-1-0', 'outage-kill-1-1', 'outage-kill-1-2', 'outage-stop-1-0', 'outage-stop-1-1', 'outage-stop-1-2']);
  });

  describe('a signal to the process the user started ends the sidecar: no orphan, the port is free', () => {
    const launches: Array<[string, (port: number, dir: string) => [string, string[]]]> = [
      ['npx sparkwire serve', (port, dir) => [NPX, ['sparkwire', 'serve', '--server-port', String(port), '--metrics-port', '0', '--file-dir', dir]]],
      ['the bin script', (port, dir) => [process.execPath, [BIN, 'serve', '--server-port', String(port), '--metrics-port', '0', '--file-dir', dir]]],
    ];
    for (const [how, command] of launches) {
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
        if (how.startsWith('npx') && signal !== 'SIGTERM') continue;
        it(`${how}, ${signal} to it`, async () => {
          const port = await freePort();
          const [cmd, args] = command(port, mkdtempSync(join(tmpdir(), 'sw-sig-')));
          const { proc, logs, exited } = await startInGroup(cmd, args, REPO);
          const pgid = proc.pid!;
          expect((await groupMembers(pgid)).length).toBeGreaterThanOrEqual(1);
          expect(await portIsFree(port)).toBe(false);
          proc.kill(signal);
          const code = await exited;
          // The parent ends: with the sidecar's own exit code when it is the sidecar (0: a clean shutdown).
          if (!how.startsWith('npx')) expect(code, logs.join('\n')).toBe(0);
          await waitFor('every process of the group gone', async () => (await groupMembers(pgid)).length === 0, 20_000).catch(async (e) => {
            const left = await groupMembers(pgid);
            for (const pid of left) process.kill(pid, 'SIGKILL');
            throw new Error(`${(e as Error).message}: ${left.join(', ')} still running\n${logs.join('\n')}`);
          });
          expect(await portIsFree(port)).toBe(true);
          await waitFor('the sidecar\'s last log line', () => logs.some((l) => l.includes('"sparkwire sidecar stopped"')), 5_000);
        });
      }
    }
  });
});
