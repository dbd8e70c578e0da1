// Secrets from files (--server-token-file, --kafka-sasl-password-file, their SPARKWIRE_*
// variables and file keys): read at start, never printed, and the same rules as the values
// themselves (a public bind needs a token, SASL needs a password).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@sparkwire/sdk';
import { main } from './cli';

const TOKEN = 'token-from-a-mounted-secret-0123';
const PASSWORD = 'kafka-password-from-a-file';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  return main(['node', 'sparkwire', ...args], { out: (s) => (out += s), err: (s) => (err += s), env }).then((code) => ({ code, out, err }));
}

function secretDir(): { dir: string; token: string; password: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sw-secrets-'));
  const token = join(dir, 'token');
  const password = join(dir, 'password');
  writeFileSync(token, `${TOKEN}\n`); // `kubectl create secret --from-file` keeps a trailing newline
  writeFileSync(password, PASSWORD);
  return { dir, token, password };
}

describe('secrets from files', () => {
  it('flags: the values are read from the files, trailing newline dropped', () => {
    const s = secretDir();
    const c = parseConfig({ server: { host: '0.0.0.0', tokenFile: s.token }, kafka: { brokers: ['k:9092'], saslMechanism: 'scram-sha-512', saslUsername: 'u', saslPasswordFile: s.password } });
    expect(c.server.token).toBe(TOKEN);
    expect(c.kafka!.saslPassword).toBe(PASSWORD);
    // Parsing the parsed configuration again (startSidecar does) is a no-op.
    expect(parseConfig(c).server.token).toBe(TOKEN);
  });

  it('flag, variable and file key each work; print-config shows the paths, never the secrets', async () => {
    const s = secretDir();
    const file = join(s.dir, 'sparkwire.yaml');
    writeFileSync(file, `kafka:\n  brokers: [k:9092]\n  saslMechanism: plain\n  saslUsername: u\n  saslPasswordFile: ${s.password}\n`);
    for (const [args, env] of [
      [['print-config', '--server-host', '0.0.0.0', '--server-token-file', s.token, '--config', file], {}],
      [['print-config', '--config', file], { SPARKWIRE_SERVER_HOST: '0.0.0.0', SPARKWIRE_SERVER_TOKEN_FILE: s.token }],
      [['print-config', '--kafka-brokers', 'k:9092', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u', '--kafka-sasl-password-file', s.password, '--server-host', '0.0.0.0'], { SPARKWIRE_SERVER_TOKEN_FILE: s.token }],
      [['print-config', '--server-host', '0.0.0.0', '--server-token-file', s.token], { SPARKWIRE_KAFKA_BROKERS: 'k:9092', SPARKWIRE_KAFKA_SASL_MECHANISM: 'plain', SPARKWIRE_KAFKA_SASL_USERNAME: 'u', SPARKWIRE_KAFKA_SASL_PASSWORD_FILE: s.password }],
    ] as Array<[string[], NodeJS.ProcessEnv]>) {
      const r = await run(args, env);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).not.toContain(TOKEN);
      expect(r.out).not.toContain(PASSWORD);
      const c = JSON.parse(r.out);
      expect(c.server).toMatchObject({ token: '[redacted]', tokenFile: s.token });
      expect(c.kafka).toMatchObject({ saslPassword: '[redacted]', saslPasswordFile: s.password });
    }
  });

  const bad: Array<[string, (s: ReturnType<typeof secretDir>) => string[], RegExp]> = [
    ['a missing token file', () => ['--server-token-file', '/nonexistent/token'], /server\.tokenFile: cannot read \/nonexistent\/token: ENOENT/],
    ['a missing password file', () => ['--kafka-brokers', 'k:1', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u', '--kafka-sasl-password-file', '/nonexistent/pw'], /kafka\.saslPasswordFile: cannot read/],
    ['a token and a different token file', (s) => ['--server-token', 'another-token-0123456789', '--server-token-file', s.token], /server\.tokenFile: set server\.token or server\.tokenFile, not both/],
    ['a short token in the file', (s) => (writeFileSync(s.token, 'short\n'), ['--server-token-file', s.token]), /server\.tokenFile: the token in .* must be at least 16 characters/],
    ['an empty password file', (s) => (writeFileSync(s.password, '\n'), ['--kafka-brokers', 'k:1', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u', '--kafka-sasl-password-file', s.password]), /kafka\.saslPasswordFile: .* is empty/],
  ];
  for (const [what, args, message] of bad) {
    it(`exits 2 and names ${what}`, async () => {
      const r = await run(['print-config', ...args(secretDir())]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toContain(TOKEN);
    });
  }

  it('a public bind is allowed with a token file, SASL with a password file', async () => {
    const s = secretDir();
    expect((await run(['print-config', '--server-host', '0.0.0.0'])).code).toBe(2);
    expect((await run(['print-config', '--server-host', '0.0.0.0', '--server-token-file', s.token])).code).toBe(0);
    expect((await run(['print-config', '--kafka-brokers', 'k:1', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u'])).code).toBe(2);
    expect((await run(['print-config', '--kafka-brokers', 'k:1', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u', '--kafka-sasl-password-file', s.password])).code).toBe(0);
  });

  it('sparkwire --version prints the version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
  });
});
