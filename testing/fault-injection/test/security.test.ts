// Scenario 7 and the security promises: a wrong token, no token, a plaintext client against
// TLS, mutual TLS; Kafka over TLS with SASL SCRAM on a real broker listener; and no secret
// (token, SASL password) in logs, metrics, records or error messages.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { makeTestPki, type TestPki } from '@sparkwire/testkit';
import { ListenerServiceClient, type PublishRequest } from '@sparkwire/proto';
import { templateEvents } from '../src/loadgen';
import { cleanup, countRecords, expectedRecords, Loadgen, loadgenOptions, MiB, readAll, ROOT, Sidecar, sleep, tempDir, waitFor, waitForTopic } from '../src/harness';
import { recordResult } from '../src/report';

const TOKEN = 'fi-bearer-token-7f3a9c2e5b1d';
const SCRAM = { sparkwire: 'scram-secret-pass-4d8e' };
const PLAIN = { plainuser: 'plain-secret-pass-9b2c' };
const SECRETS = [TOKEN, SCRAM.sparkwire, PLAIN.plainuser];

let broker: Broker;
let dir: string;
let pki: TestPki;
const sidecars: Sidecar[] = [];

beforeAll(async () => {
  dir = tempDir('security');
  pki = makeTestPki(join(dir, 'pki'));
  broker = await startBroker({ dataDir: join(dir, 'kafka'), saslPlainUsers: PLAIN, saslScramUsers: SCRAM, tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
});
afterAll(async () => {
  for (const s of sidecars) await s.stop('SIGKILL');
  await broker?.stop();
  cleanup(dir);
});

const template = templateEvents('app-sec');
let seq = 0;
const req = (): PublishRequest => ({ clientId: 'probe', batchSeq: BigInt(++seq), events: template.slice(0, 3).map((e, i) => ({ ...e, eventId: `probe-${seq}-${i}`, appId: 'app-sec' })), clientStats: undefined });

function probe(address: string, creds: grpc.ChannelCredentials, token?: string): Promise<{ code: string; details: string }> {
  const client = new ListenerServiceClient(address, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 });
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) =>
    client.publish(req(), md, { deadline: Date.now() + 8000 }, (err) => {
      client.close();
      resolve(err ? { code: grpc.status[err.code], details: err.details } : { code: 'OK', details: '' });
    }),
  );
}

const read = (f: string) => readFileSync(f);

describe('authentication, TLS, secrets', () => {
  it('7. wrong token, no token, plaintext against TLS, mutual TLS; Kafka over TLS with SCRAM; no secret anywhere', async () => {
    const t0 = Date.now();
    const topicA = 'fi-sec-scram512-tls';
    const topicB = 'fi-sec-scram256-mtls';
    // A: gRPC over TLS with a bearer token (from the environment); Kafka SASL_SSL, SCRAM-SHA-512.
    const a = await Sidecar.start({
      args: [
        '--extended', '--kafka-topic', topicA, '--kafka-brokers', broker.saslSslBootstrap!, '--kafka-tls', '--kafka-tls-ca-file', pki.caCert,
        '--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-sasl-username', 'sparkwire',
        '--server-tls-cert-file', pki.serverCert, '--server-tls-key-file', pki.serverKey, '--log-level', 'debug',
      ],
      env: { SPARKWIRE_SERVER_TOKEN: TOKEN, SPARKWIRE_KAFKA_SASL_PASSWORD: SCRAM.sparkwire },
      spoolDir: join(dir, 'a-spool'),
    });
    sidecars.push(a);
    // B: mutual TLS; Kafka SASL_PLAINTEXT, SCRAM-SHA-256.
    const b = await Sidecar.start({
      args: [
        '--extended', '--kafka-topic', topicB, '--kafka-brokers', broker.saslBootstrap!, '--kafka-sasl-mechanism', 'scram-sha-256', '--kafka-sasl-username', 'sparkwire',
        '--server-tls-cert-file', pki.serverCert, '--server-tls-key-file', pki.serverKey, '--server-tls-ca-file', pki.caCert,
      ],
      env: { SPARKWIRE_KAFKA_SASL_PASSWORD: SCRAM.sparkwire },
      spoolDir: join(dir, 'b-spool'),
    });
    sidecars.push(b);
    // C: the right user with a wrong SCRAM password: Kafka stays NOT_SERVING, the password is not logged.
    const c = await Sidecar.start({
      args: ['--kafka-brokers', broker.saslBootstrap!, '--kafka-sasl-mechanism', 'scram-sha-256', '--kafka-sasl-username', 'sparkwire', '--kafka-connect-timeout-ms', '1000'],
      env: { SPARKWIRE_KAFKA_SASL_PASSWORD: PLAIN.plainuser },
      spoolDir: join(dir, 'c-spool'),
    });
    sidecars.push(c);
    await waitFor('A kafka reachable', () => a.logs.some((l) => l.includes('"kafka reachable"')));
    await waitFor('B kafka reachable', () => b.logs.some((l) => l.includes('"kafka reachable"')));

    const tls = grpc.credentials.createSsl(read(pki.caCert));
    const mtls = grpc.credentials.createSsl(read(pki.caCert), read(pki.clientKey), read(pki.clientCert));
    const probes = {
      'A: TLS, no token': await probe(a.address, tls),
      'A: TLS, wrong token': await probe(a.address, tls, 'not-the-token-but-long-enough'),
      'A: plaintext client, right token': await probe(a.address, grpc.credentials.createInsecure(), TOKEN),
      'A: TLS trusting another CA': await probe(a.address, grpc.credentials.createSsl(read(pki.strangerCaCert)), TOKEN),
      'A: TLS, right token': await probe(a.address, tls, TOKEN),
      'B: TLS without a client certificate': await probe(b.address, tls),
      'B: client certificate from another CA': await probe(b.address, grpc.credentials.createSsl(read(pki.caCert), read(pki.strangerKey), read(pki.strangerCert))),
      'B: plaintext client': await probe(b.address, grpc.credentials.createInsecure()),
      'B: mutual TLS': await probe(b.address, mtls),
    };
    const want: Record<keyof typeof probes, string> = {
      'A: TLS, no token': 'UNAUTHENTICATED',
      'A: TLS, wrong token': 'UNAUTHENTICATED',
      'A: plaintext client, right token': 'UNAVAILABLE',
      'A: TLS trusting another CA': 'UNAVAILABLE',
      'A: TLS, right token': 'OK',
      'B: TLS without a client certificate': 'UNAVAILABLE',
      'B: client certificate from another CA': 'UNAVAILABLE',
      'B: plaintext client': 'UNAVAILABLE',
      'B: mutual TLS': 'OK',
    };

    // Load through each: every acked event in Kafka, over TLS + SCRAM.
    const lgA = new Loadgen(loadgenOptions({ address: a.address, name: 's7a', dir, rate: 2000, total: 16_000, token: TOKEN, tls: { caFile: pki.caCert } }));
    const lgB = new Loadgen(loadgenOptions({ address: b.address, name: 's7b', dir, rate: 2000, total: 16_000, tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey } }));
    const [sumA, sumB] = await Promise.all([lgA.done, lgB.done]);
    const ackedA = lgA.ackedEvents();
    const ackedB = lgB.ackedEvents();
    await waitForTopic(broker.bootstrap, topicA, expectedRecords(ackedA));
    await waitForTopic(broker.bootstrap, topicB, expectedRecords(ackedB));
    const recordsA = await readAll(broker.bootstrap, topicA, expectedRecords(ackedA));
    const recordsB = await readAll(broker.bootstrap, topicB, expectedRecords(ackedB));
    const countA = countRecords(recordsA.filter((r) => !r.value.toString().includes('"probe-')), ackedA.map((e) => e.eventId));
    const countB = countRecords(recordsB.filter((r) => !r.value.toString().includes('"probe-')), ackedB.map((e) => e.eventId));
    await sleep(2000);
    const cKafka = c.logs.some((l) => l.includes('"kafka reachable"'));

    // A non-loopback bind needs a token or the explicit flag.
    const bind = (extra: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'apps/sidecar/bin/sparkwire.js'), 'print-config', '--server-host', '0.0.0.0', ...extra], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    const noAuth = bind([]);
    const optedIn = bind(['--server-allow-unauthenticated-non-loopback']);
    const withToken = bind(['--server-token', TOKEN]);

    // Secrets: in no log line, no metric, no record, no error message, no printed configuration.
    const metrics = (await a.metrics()) + (await b.metrics()) + (await c.metrics());
    for (const s of [a, b, c]) await s.stop();
    const haystacks: Record<string, string> = {
      logs: [...a.logs, ...b.logs, ...c.logs].join('\n'),
      metrics,
      'Kafka records': [...recordsA, ...recordsB].map((r) => `${r.key} ${r.value.toString()}`).join('\n'),
      'error messages': Object.values(probes).map((p) => p.details).join('\n'),
      'print-config': withToken.stdout + withToken.stderr,
    };
    const leaks = Object.entries(haystacks).flatMap(([where, text]) => SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret.slice(0, 4)}...`));
    const probeOk = Object.entries(probes).every(([k, v]) => v.code === want[k as keyof typeof probes]);
    const passed =
      probeOk && leaks.length === 0 && countA.lost === 0 && countA.duplicates === 0 && countB.lost === 0 && countB.duplicates === 0 && !cKafka && noAuth.status === 2 && optedIn.status === 0 && withToken.status === 0;
    recordResult({
      id: '7-auth-tls',
      title: '7. wrong token, no token, plaintext against TLS, mutual TLS',
      mode: 'quick',
      passed,
      acked: countA.acked + countB.acked,
      inKafka: countA.inKafka + countB.inKafka,
      lost: countA.lost + countB.lost,
      duplicates: countA.duplicates + countB.duplicates,
      maxRssMiB: Math.max(a.maxRssBytes, b.maxRssBytes) / MiB,
      durationS: (Date.now() - t0) / 1000,
      figures: {
        ...Object.fromEntries(Object.entries(probes).map(([k, v]) => [k, v.code])),
        'Kafka over SASL_SSL with SCRAM-SHA-512 (A) and SASL_PLAINTEXT with SCRAM-SHA-256 (B)': `${countA.inKafka + countB.inKafka} events`,
        'wrong SCRAM password: Kafka reachable': cKafka,
        'non-loopback bind: no token / explicit opt-in / token (exit code)': `${noAuth.status} / ${optedIn.status} / ${withToken.status}`,
        'secrets found in logs, metrics, records, error messages, printed config': leaks.length,
        'client reconnects': sumA.reconnects + sumB.reconnects,
      },
    });
    expect(Object.fromEntries(Object.entries(probes).map(([k, v]) => [k, v.code]))).toEqual(want);
    expect(leaks).toEqual([]);
    expect(countA.lost).toBe(0);
    expect(countB.lost).toBe(0);
    expect(countA.duplicates + countB.duplicates).toBe(0);
    expect(cKafka).toBe(false);
    expect(noAuth.status).toBe(2);
    expect(noAuth.stderr + noAuth.stdout).toContain('server.token');
    expect(optedIn.status).toBe(0);
    expect(withToken.status).toBe(0);
  });
});
