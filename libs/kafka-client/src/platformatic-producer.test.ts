// The connection settings as @platformatic/kafka's options (no broker needed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { platformaticOptions, retryDelayMs } from './platformatic-producer';
import { SINK_TUNING } from './connection';

const base = { brokers: ['k1:9092', 'k2:9093'], clientId: 'sw', connectTimeoutMs: 3000, requestTimeoutMs: 30_000, retries: 0 };

describe('platformaticOptions', () => {
  it('timeouts, kafka.retries as given (0 too), one request in flight, acks=all, no auto-creation', () => {
    const o = platformaticOptions(base);
    expect(o).toMatchObject({ clientId: 'sw', bootstrapBrokers: ['k1:9092', 'k2:9093'], connectTimeout: 3000, requestTimeout: 30_000, timeout: 30_000, retries: 0, maxInflights: 1, acks: -1, autocreateTopics: false });
    // Built non-idempotent (send() asks for it): otherwise @platformatic/kafka turns retries <= 1 into MAX_SAFE_INTEGER.
    expect(o.idempotent).toBe(false);
    expect(o.tls).toBeUndefined();
    expect(o.sasl).toBeUndefined();
    expect(platformaticOptions({ ...base, requestTimeoutMs: 5000 }).timeout).toBe(5000);
  });

  it('TLS from the PEM files, SASL mechanisms by their Kafka names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plt-opts-'));
    for (const f of ['ca', 'cert', 'key']) writeFileSync(join(dir, f), `${f} pem`);
    const o = platformaticOptions({ ...base, tls: { enabled: true, caFile: join(dir, 'ca'), certFile: join(dir, 'cert'), keyFile: join(dir, 'key'), rejectUnauthorized: false }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    expect(o.tls).toEqual({ rejectUnauthorized: false, ca: ['ca pem'], cert: 'cert pem', key: 'key pem' });
    expect(o.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' });
    expect(platformaticOptions({ ...base, sasl: { mechanism: 'plain', username: 'u', password: 'p' } }).sasl?.mechanism).toBe('PLAIN');
  });

  it('retry delays grow as kafkajs\'s do, up to the largest', () => {
    const d = (attempt: number) => retryDelayMs(SINK_TUNING, attempt);
    expect(d(1)).toBeGreaterThanOrEqual(160);
    expect(d(1)).toBeLessThanOrEqual(240);
    expect(d(3)).toBeGreaterThanOrEqual(640);
    expect(d(20)).toBeLessThanOrEqual(6000);
  });
});
