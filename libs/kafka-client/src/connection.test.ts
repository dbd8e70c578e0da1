// Connection settings -> kafkajs options: TLS files read, SASL passed on, the sink's and the
// offsets service's timings, and kafkajs's log lines at the levels of our structured log.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logLevel, type LogEntry } from 'kafkajs';
import type { KafkaConnectionSettings } from './config';
import { kafkajsConfig, SINK_TUNING } from './connection';

const dir = mkdtempSync(join(tmpdir(), 'kafka-client-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const base: KafkaConnectionSettings = { brokers: ['b1:9092', 'b2:9093'], clientId: 'sw', connectTimeoutMs: 3000, requestTimeoutMs: 30_000, retries: 5 };
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('kafkajsConfig', () => {
  it('maps brokers, client id, timeouts and retries; no TLS or SASL unless configured', () => {
    const kc = kafkajsConfig(base, quiet);
    expect(kc).toMatchObject({ brokers: ['b1:9092', 'b2:9093'], clientId: 'sw', connectionTimeout: 3000, requestTimeout: 30_000, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 }, logLevel: logLevel.WARN });
    expect(kc.ssl).toBeUndefined();
    expect(kc.sasl).toBeUndefined();
    expect(kafkajsConfig({ ...base, tls: { enabled: false, caFile: '/nonexistent', rejectUnauthorized: true } }, quiet).ssl).toBeUndefined();
  });

  it('reads the PEM files of TLS at start; without a CA file the system CAs are used', () => {
    const ca = file('ca.pem', 'CA PEM');
    const cert = file('cert.pem', 'CERT PEM');
    const key = file('key.pem', 'KEY PEM');
    expect(kafkajsConfig({ ...base, tls: { enabled: true, caFile: ca, certFile: cert, keyFile: key, rejectUnauthorized: false } }, quiet).ssl).toEqual({ rejectUnauthorized: false, ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' });
    expect(kafkajsConfig({ ...base, tls: { enabled: true, rejectUnauthorized: true } }, quiet).ssl).toEqual({ rejectUnauthorized: true, ca: undefined, cert: undefined, key: undefined });
    expect(() => kafkajsConfig({ ...base, tls: { enabled: true, caFile: join(dir, 'missing.pem'), rejectUnauthorized: true } }, quiet)).toThrow(/ENOENT/);
  });

  it('passes SASL on for each mechanism', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      expect(kafkajsConfig({ ...base, sasl: { mechanism, username: 'u', password: 'p' } }, quiet).sasl).toEqual({ mechanism, username: 'u', password: 'p' });
    }
  });

  it("the offsets service's tuning: short backoff, kafkajs errors and up, logged at warn", () => {
    const kc = kafkajsConfig(base, quiet, { retryInitialMs: 100, retryMaxMs: 1000, minLevel: 'error', logAs: 'warn' });
    expect(kc.retry).toEqual({ retries: 5, initialRetryTime: 100, maxRetryTime: 1000 });
    expect(kc.logLevel).toBe(logLevel.ERROR);
  });

  describe('log routing', () => {
    const entry = (level: logLevel, namespace: string, log: Record<string, unknown>): LogEntry => ({ namespace, level, label: '', log: { timestamp: '', logger: 'kafkajs', message: '', ...log } as LogEntry['log'] });
    const capture = () => {
      const lines: Array<[string, object, string]> = [];
      const at = (level: string) => (o: object, m: string) => lines.push([level, o, m]);
      return { lines, log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } };
    };

    it('kafkajs levels kept for the sink, benign lines at debug, no payload beyond broker and error', () => {
      const { lines, log } = capture();
      const write = kafkajsConfig(base, log, SINK_TUNING).logCreator!(logLevel.WARN);
      write(entry(logLevel.ERROR, 'Connection', { message: 'Connection error: connect ECONNREFUSED', broker: 'b1:9092', error: 'boom', sasl: { password: 'secret' } }));
      write(entry(logLevel.WARN, 'Producer', { message: 'something' }));
      write(entry(logLevel.WARN, 'Producer', { message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' }));
      expect(lines).toEqual([
        ['error', { component: 'kafkajs', namespace: 'Connection', broker: 'b1:9092', error: 'boom' }, 'Connection error: connect ECONNREFUSED'],
        ['warn', { component: 'kafkajs', namespace: 'Producer', broker: undefined, error: undefined }, 'something'],
        ['debug', { component: 'kafkajs', namespace: 'Producer', broker: undefined, error: undefined }, 'Limiting retries for the idempotent producer may invalidate EoS guarantees'],
      ]);
    });

    it('everything at warn for the offsets service, benign lines at debug', () => {
      const { lines, log } = capture();
      const write = kafkajsConfig(base, log, { retryInitialMs: 100, retryMaxMs: 1000, minLevel: 'error', logAs: 'warn' }).logCreator!(logLevel.ERROR);
      write(entry(logLevel.ERROR, 'Connection', { message: 'Connection error' }));
      write(entry(logLevel.ERROR, 'Connection', { message: 'Response FindCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available' }));
      expect(lines.map(([level]) => level)).toEqual(['warn', 'debug']);
    });
  });
});
