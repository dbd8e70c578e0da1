/**
 * SSL, SASL_SSL and SCRAM listeners of the local broker, with certificates made at test
 * time by openssl. Real JVM broker, real kafkajs clients.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import kafkajs, { type KafkaConfig } from 'kafkajs';
import { startBroker, type Broker } from './broker.js';

const { Kafka, Partitioners, logLevel } = kafkajs;

const PLAIN = { alice: 'alice-secret' };
const SCRAM = { carol: 'carol-scram-secret' };
let broker: Broker;
let dir: string;
let ca: string;

function makeCerts(d: string): { cert: string; key: string; ca: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'broker.key', '-out', 'broker.csr']);
  writeFileSync(path.join(d, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'broker.ext', '-out', 'broker.crt']);
  return { cert: path.join(d, 'broker.crt'), key: path.join(d, 'broker.key'), ca: path.join(d, 'ca.crt') };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-tls-'));
  const certs = makeCerts(dir);
  ca = readFileSync(certs.ca, 'utf8');
  broker = await startBroker({ saslPlainUsers: PLAIN, saslScramUsers: SCRAM, tls: { certFile: certs.cert, keyFile: certs.key } });
});

afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function roundTrip(bootstrap: string, extra: Partial<KafkaConfig>, topic: string): Promise<string[]> {
  // retries 5 (kafkajs backoff from 300 ms, ~10 s): the first send auto-creates the broker's first
  // topic, which took several seconds at a load average of 25-35 (retries 2, ~1 s, failed there).
  const kafka = new Kafka({ clientId: 'security-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 5000, retry: { retries: 5 }, ...extra });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: `hello ${topic}` }] });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve([message.value!.toString()]);
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

async function connects(bootstrap: string, extra: Partial<KafkaConfig>): Promise<boolean> {
  const admin = new Kafka({ clientId: 'security-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 }, ...extra }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

describe('TLS and SASL listeners', () => {
  test('reports every listener on 127.0.0.1', () => {
    for (const b of [broker.saslBootstrap, broker.sslBootstrap, broker.saslSslBootstrap]) expect(b).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test('SSL: a client trusting the CA round-trips; a plaintext client does not get in', async () => {
    expect(await roundTrip(broker.sslBootstrap!, { ssl: { ca: [ca] } }, 'tls-topic')).toEqual(['hello tls-topic']);
    expect(await connects(broker.sslBootstrap!, {})).toBe(false);
  });

  test('SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL', async () => {
    const [user, password] = Object.entries(SCRAM)[0];
    expect(await roundTrip(broker.saslBootstrap!, { sasl: { mechanism: 'scram-sha-256', username: user, password } }, 'scram256')).toEqual(['hello scram256']);
    expect(await roundTrip(broker.saslSslBootstrap!, { ssl: { ca: [ca] }, sasl: { mechanism: 'scram-sha-512', username: user, password } }, 'scram512-tls')).toEqual(['hello scram512-tls']);
  });

  test('PLAIN over SASL_SSL; wrong passwords are refused for both mechanisms', async () => {
    const [user, password] = Object.entries(PLAIN)[0];
    expect(await roundTrip(broker.saslSslBootstrap!, { ssl: { ca: [ca] }, sasl: { mechanism: 'plain', username: user, password } }, 'plain-tls')).toEqual(['hello plain-tls']);
    expect(await connects(broker.saslSslBootstrap!, { ssl: { ca: [ca] }, sasl: { mechanism: 'plain', username: user, password: 'wrong' } })).toBe(false);
    expect(await connects(broker.saslBootstrap!, { sasl: { mechanism: 'scram-sha-256', username: 'carol', password: 'wrong' } })).toBe(false);
  });
});
