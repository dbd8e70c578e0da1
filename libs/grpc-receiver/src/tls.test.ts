// TLS and mutual TLS for the gRPC server, with certificates made at test time (openssl).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import { ListenerServiceClient, type PublishRequest } from '@sparkwire/proto';
import { Pipeline } from '@sparkwire/pipeline';
import { makeTestPki, MemorySink, syntheticApplication, type TestPki } from '@sparkwire/testkit';
import { startReceiver, type Receiver } from './receiver';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const app = syntheticApplication({ appId: 'app-tls', stagesPerJob: [1], tasksPerStage: 2, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0, startMs: Date.now() - 60_000 });
let pki: TestPki;
let dir: string;
let receiver: Receiver | undefined;
const clients: grpc.Client[] = [];
const TOKEN = 'tls-test-token-0123456789';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sparkwire-pki-'));
  pki = makeTestPki(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await receiver?.shutdown(500);
  receiver = undefined;
});

async function start(mutual: boolean, token?: string): Promise<string> {
  const pipeline = new Pipeline({
    extended: true,
    limits: { maxBatchEvents: 500, maxBatchBytes: 1024 * 1024 },
    route: { topic: 'events', key: 'appId' },
    encoder: sparkMeasureJsonEncoder,
    sink: new MemorySink(),
    dedupe: { batchWindow: 100, eventWindow: 1000 },
    ackTimeoutMs: 2000,
  });
  receiver = await startReceiver({
    host: '127.0.0.1',
    port: 0,
    token,
    tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: mutual ? pki.caCert : undefined },
    maxBatchBytes: 1024 * 1024,
    maxInFlightPerStream: 8,
    pipeline,
    log: quiet,
    sinkHealthName: 'sparkwire.memory',
  });
  return `127.0.0.1:${receiver.port}`;
}

const read = (f: string) => readFileSync(f);
let seq = 0;
const req = (): PublishRequest => ({ clientId: 'tls', batchSeq: BigInt(++seq), events: app.slice(0, 2).map((e) => ({ ...e, eventId: `${e.eventId}-${seq}` })), clientStats: undefined });

function publish(address: string, creds: grpc.ChannelCredentials, token?: string): Promise<grpc.ServiceError | null> {
  const client = new ListenerServiceClient(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  clients.push(client);
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => client.publish(req(), md, { deadline: Date.now() + 5000 }, (err) => resolve(err)));
}

describe('TLS', () => {
  it('a client trusting the CA publishes; a plaintext client and a client trusting another CA cannot', async () => {
    const address = await start(false);
    expect(await publish(address, grpc.credentials.createSsl(read(pki.caCert)))).toBeNull();
    const plaintext = await publish(address, grpc.credentials.createInsecure());
    expect(plaintext?.code).toBe(grpc.status.UNAVAILABLE);
    const wrongCa = await publish(address, grpc.credentials.createSsl(read(pki.strangerCaCert)));
    expect(wrongCa?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('TLS and the bearer token together: the token is still required', async () => {
    const address = await start(false, TOKEN);
    const creds = grpc.credentials.createSsl(read(pki.caCert));
    expect((await publish(address, creds))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await publish(address, creds, 'wrong-token-but-long-enough'))?.code).toBe(grpc.status.UNAUTHENTICATED);
    const err = await publish(address, creds, TOKEN);
    expect(err).toBeNull();
  });
});

describe('mutual TLS', () => {
  it('accepts a client certificate signed by the CA, refuses none or a stranger\'s', async () => {
    const address = await start(true);
    expect(await publish(address, grpc.credentials.createSsl(read(pki.caCert), read(pki.clientKey), read(pki.clientCert)))).toBeNull();
    const noCert = await publish(address, grpc.credentials.createSsl(read(pki.caCert)));
    expect(noCert?.code).toBe(grpc.status.UNAVAILABLE);
    const stranger = await publish(address, grpc.credentials.createSsl(read(pki.caCert), read(pki.strangerKey), read(pki.strangerCert)));
    expect(stranger?.code).toBe(grpc.status.UNAVAILABLE);
    const plaintext = await publish(address, grpc.credentials.createInsecure());
    expect(plaintext?.code).toBe(grpc.status.UNAVAILABLE);
  });
});
