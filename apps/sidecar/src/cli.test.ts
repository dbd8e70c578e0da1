import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli';
import { SETTINGS } from './config-sources';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  return main(['node', 'sparkwire', ...args], { out: (s) => (out += s), err: (s) => (err += s), env }).then((code) => ({ code, out, err }));
}

describe('sparkwire print-config', () => {
  it('layers defaults < file < environment < flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-cli-'));
    const file = join(dir, 'sparkwire.yaml');
    writeFileSync(file, 'extended: true\nkafka:\n  brokers: [file:1]\n  topic: from-file\n  tasksTopic: tasks-from-file\nserver:\n  port: 6000\n');
    const r = await run(['print-config', '--config', file, '--kafka-topic', 'from-flag'], { SPARKWIRE_KAFKA_TOPIC: 'from-env', SPARKWIRE_SERVER_PORT: '7000', SPARKWIRE_KAFKA_BROKERS: 'env:1,env:2' });
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out);
    expect(c.extended).toBe(true);
    expect(c.kafka.topic).toBe('from-flag');
    expect(c.kafka.tasksTopic).toBe('tasks-from-file');
    expect(c.kafka.brokers).toEqual(['env:1', 'env:2']);
    expect(c.server.port).toBe(7000);
  });

  it('reads JSON files and SPARKWIRE_CONFIG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-cli-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ server: { port: 6001 } }));
    const r = await run(['print-config'], { SPARKWIRE_CONFIG: file });
    expect(JSON.parse(r.out).server.port).toBe(6001);
  });

  it('redacts secrets', async () => {
    const r = await run(['print-config', '--server-token', 'super-secret-token-1234', '--kafka-brokers', 'h:1', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u', '--kafka-sasl-password', 'hunter2hunter2']);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('super-secret-token-1234');
    expect(r.out).not.toContain('hunter2');
    expect(JSON.parse(r.out).server.token).toBe('[redacted]');
  });

  const bad: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['an unknown flag', ['serve', '--kafka-bogus', 'x'], {}, /unknown option '--kafka-bogus'/],
    ['an unknown variable', ['serve'], { SPARKWIRE_KAFKA_BOGUS: 'x' }, /SPARKWIRE_KAFKA_BOGUS/],
    ['an unknown file key', ['serve', '--config', '<file>'], {}, /unknown key "kafka.bogus"/],
    ['a bad number', ['serve', '--server-port', 'eighty'], {}, /server.port.*not a number/],
    ['an out-of-range port', ['serve'], { SPARKWIRE_SERVER_PORT: '70000' }, /server.port/],
    ['a bad enum', ['serve', '--kafka-brokers', 'h:1', '--kafka-encoding', 'avro'], {}, /kafka.encoding/],
    ['a bad boolean', ['serve', '--extended', 'maybe'], {}, /extended.*not a boolean/],
    ['a missing file', ['serve', '--config', '/nonexistent/sw.yaml'], {}, /config file \/nonexistent\/sw.yaml/],
    ['a public bind without a token', ['serve', '--server-host', '0.0.0.0'], {}, /server.host/],
  ];
  for (const [what, args, env, message] of bad) {
    it(`exits 2 and names ${what}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sw-cli-'));
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'kafka:\n  brokers: [h:1]\n  bogus: 1\n');
      const r = await run(args.map((a) => (a === '<file>' ? file : a)), env);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    });
  }

  it('every setting has a flag and a variable', () => {
    const keys = SETTINGS.map((s) => s.key);
    expect(keys).toContain('kafka.brokers');
    expect(keys).toContain('server.token');
    expect(SETTINGS.find((s) => s.key === 'kafka.maxBatchRecords')).toMatchObject({ flag: '--kafka-max-batch-records', env: 'SPARKWIRE_KAFKA_MAX_BATCH_RECORDS' });
  });
});

describe('docs/configuration.md', () => {
  it('matches the schema (regenerate with npx tsx apps/sidecar/src/config-doc.ts > docs/configuration.md)', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderConfigDoc } = await import('./config-doc');
    expect(readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8')).toBe(renderConfigDoc());
  });
});
