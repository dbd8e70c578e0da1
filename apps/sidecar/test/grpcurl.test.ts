// Server reflection as a strict client sees it: the real grpcurl (built from the Go module
// proxy by tools/setup.sh into .cache/bin) against the sidecar as its own process. grpcurl
// resolves every descriptor with protobuf-go, which refuses what protoc would not have
// written (a map entry not named `LabelsEntry`, ...), so each command here fails on
// descriptors that are not protoc's own.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSidecar, waitFor, type SidecarProcess } from '@sparkwire/testkit';

const CACHE = process.env.SPARKWIRE_CACHE ?? resolve(import.meta.dirname, '../../../.cache');
const GRPCURL = join(CACHE, 'bin', 'grpcurl');

function grpcurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) =>
    execFile(GRPCURL, ['-plaintext', '-max-time', '20', ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

async function ok(args: string[]): Promise<string> {
  const r = await grpcurl(args);
  expect(r.stderr, `grpcurl ${args.join(' ')}`).toBe('');
  expect(r.code, `grpcurl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

let sidecar: SidecarProcess;
let dir: string;

beforeAll(async () => {
  if (!existsSync(GRPCURL)) throw new Error(`${GRPCURL} is missing: run npm run setup (tools/setup.sh builds grpcurl)`);
  dir = mkdtempSync(join(tmpdir(), 'sw-grpcurl-'));
  sidecar = await spawnSidecar({ args: ['--file-dir', dir, '--metrics-port', '0'] });
});
afterAll(async () => {
  await sidecar?.stop();
});

describe('grpcurl through server reflection', () => {
  it('list: every service, health and reflection included', async () => {
    const out = await ok([sidecar.address, 'list']);
    expect(out.trim().split('\n')).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'sparkwire.v1.ListenerService',
      'sparkwire.v1.OffsetsService',
    ]);
    expect(await ok([sidecar.address, 'list', 'sparkwire.v1.ListenerService'])).toBe('sparkwire.v1.ListenerService.Publish\nsparkwire.v1.ListenerService.Stream\n');
  });

  it('describe sparkwire.v1.ListenerService, with the comments of the proto', async () => {
    const out = await ok([sidecar.address, 'describe', 'sparkwire.v1.ListenerService']);
    expect(out).toContain('sparkwire.v1.ListenerService is a service:');
    expect(out).toContain('rpc Publish ( .sparkwire.v1.PublishRequest ) returns ( .sparkwire.v1.PublishResponse );');
    expect(out).toContain('rpc Stream ( stream .sparkwire.v1.PublishRequest ) returns ( stream .sparkwire.v1.PublishAck );');
    expect(out).toMatch(/\/\/ One batch, accepted whole or rejected whole/);
  });

  it('describe sparkwire.v1.SparkEvent: its map fields and oneof', async () => {
    const out = await ok([sidecar.address, 'describe', 'sparkwire.v1.SparkEvent']);
    expect(out).toContain('sparkwire.v1.SparkEvent is a message:');
    expect(out).toContain('map<string, string> labels = 7;');
    expect(out).toContain('oneof body {');
    // The implicit map entry message, named as protoc names it.
    expect(await ok([sidecar.address, 'describe', 'sparkwire.v1.SparkEvent.LabelsEntry'])).toContain('sparkwire.v1.SparkEvent.LabelsEntry is the entry type for a map field:');
    // Every other message with a map field resolves too.
    for (const m of ['ApplicationStart', 'StreamingProgress', 'Observation', 'TaskMetrics']) await ok([sidecar.address, 'describe', `sparkwire.v1.${m}`]);
  });

  it('describe sparkwire.v1.OffsetsService', async () => {
    const out = await ok([sidecar.address, 'describe', 'sparkwire.v1.OffsetsService']);
    expect(out).toContain('rpc Commit ( .sparkwire.v1.CommitRequest ) returns ( .sparkwire.v1.CommitResponse );');
    expect(out).toContain('rpc Fetch (');
    expect(out).toContain('rpc Lag (');
  });

  it('Publish through reflection with JSON data: acked and in the sink', async () => {
    const now = Date.now();
    const request = {
      client_id: 'grpcurl',
      batch_seq: '1',
      events: [
        {
          event_id: 'grpcurl-app-start',
          app_id: 'app-grpcurl',
          app_name: 'grpcurl-demo',
          event_time_ms: String(now),
          labels: { team: 'ops' },
          application_start: { start_time_ms: String(now), spark_user: 'operator' },
        },
      ],
    };
    const out = await ok(['-d', JSON.stringify(request), sidecar.address, 'sparkwire.v1.ListenerService/Publish']);
    expect(JSON.parse(out)).toMatchObject({ batchSeq: '1', accepted: 1 });
    let lines: Array<Record<string, unknown>> = [];
    await waitFor('the record in the file sink', () => {
      lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
      return lines.some((l) => l.eventId === 'grpcurl-app-start');
    });
    expect(lines.find((l) => l.eventId === 'grpcurl-app-start')).toMatchObject({ name: 'applications_started', appId: 'app-grpcurl', appName: 'grpcurl-demo', sparkUser: 'operator', labels: { team: 'ops' } });
    // A bad request through reflection gets the sidecar's own refusal, naming the field.
    const bad = await grpcurl(['-d', JSON.stringify({ ...request, batch_seq: '2', events: [{ ...request.events[0], event_id: '' }] }), sidecar.address, 'sparkwire.v1.ListenerService/Publish']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/InvalidArgument/);
    expect(bad.stderr).toMatch(/events\[0\]\.event_id/);
  });

  it('grpc.health.v1.Health/Check and List through reflection', async () => {
    expect(JSON.parse(await ok([sidecar.address, 'grpc.health.v1.Health/Check']))).toEqual({ status: 'SERVING' });
    expect(JSON.parse(await ok(['-d', '{"service":"sparkwire.file"}', sidecar.address, 'grpc.health.v1.Health/Check']))).toEqual({ status: 'SERVING' });
    expect(JSON.parse(await ok(['-d', '{"service":"sparkwire.v1.ListenerService"}', sidecar.address, 'grpc.health.v1.Health/Check']))).toEqual({ status: 'SERVING' });
    const list = JSON.parse(await ok([sidecar.address, 'grpc.health.v1.Health/List'])) as { statuses: Record<string, { status: string }> };
    expect(list.statuses['sparkwire.v1.OffsetsService']).toEqual({ status: 'NOT_SERVING' });
    expect(await ok([sidecar.address, 'describe', 'grpc.health.v1.HealthCheckResponse.ServingStatus'])).toContain('SERVING = 1;');
  });

  it('an unknown symbol is NOT_FOUND, not a broken stream', async () => {
    const r = await grpcurl([sidecar.address, 'describe', 'sparkwire.v1.NoSuchThing']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Symbol not found|not found/i);
    // The server is still fine afterwards.
    await ok([sidecar.address, 'list']);
  });
});
