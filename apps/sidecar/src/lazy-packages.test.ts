// npm packages that only some commands or settings use (the YAML parser, the table and
// progress-bar packages, the event log codecs of `replay`) are loaded when one does: a `serve`
// carries none of them. Seen in Node's CommonJS module cache (these packages are CommonJS);
// the test file runs in a process of its own. The configuration options each command has are
// added when it runs, and its help still lists them.
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli';

const LAZY = ['yaml', 'cli-table3', 'cli-progress', 'lz4js', 'snappyjs'];
const loaded = () => {
  const files = Object.keys(createRequire(import.meta.url).cache);
  return LAZY.filter((p) => files.some((f) => f.includes(`/node_modules/${p}/`)));
};

function run(args: string[]) {
  let out = '';
  let err = '';
  return main(['node', 'sparkwire', ...args], { out: (s) => (out += s), err: (s) => (err += s), env: {} }).then((code) => ({ code, out, err }));
}

describe('packages loaded on use', () => {
  // In this order: each step loads what the next ones expect.
  it('resolving a configuration from flags loads none of them', async () => {
    expect(loaded()).toEqual([]);
    const r = await run(['print-config', '--kafka-brokers', 'k:9092']);
    expect(r.code, r.err).toBe(0);
    expect(loaded()).toEqual([]);
  });

  it('a config file loads the YAML parser', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sw-lazy-')), 'sparkwire.yaml');
    writeFileSync(file, 'server:\n  port: 6002\n');
    const r = await run(['print-config', '--config', file]);
    expect(JSON.parse(r.out).server.port).toBe(6002);
    expect(loaded()).toEqual(['yaml']);
  });

  it('replay loads the event log codecs', async () => {
    const dir = join(import.meta.dirname, '../../../libs/event-log/test/fixtures/lz4');
    const log = join(dir, readdirSync(dir).filter((n) => !n.startsWith('.'))[0]);
    const r = await run(['replay', log, '--file-dir', mkdtempSync(join(tmpdir(), 'sw-lazy-')), '--output', 'json']);
    expect(r.code, r.err).toBe(0);
    expect(loaded()).toEqual(['yaml', 'lz4js', 'snappyjs']);
  });
});

describe('configuration options added when the command runs', () => {
  it.each(['serve --help', 'help serve', 'print-config --help', 'replay --help', 'dead-letter list --help', 'dead-letter help discard'])('%s lists them', async (line) => {
    const r = await run(line.split(' '));
    expect(r.code).toBe(0);
    expect(r.out).toContain('--kafka-max-batch-records <value>');
    expect(r.out).toContain('-c, --config <file>');
  });

  it('the command list says which commands take options', async () => {
    const r = await run(['--help']);
    expect(r.out).toMatch(/^ {2}serve \[options\] +run the sidecar$/m);
    expect(r.out).toMatch(/^ {2}print-config \[options\] +print the effective configuration and exit$/m);
  });

  it('dead-letter list: its own option keeps its place after them', async () => {
    const r = await run(['dead-letter', 'list', '--help']);
    expect(r.out.indexOf('--json')).toBeGreaterThan(r.out.indexOf('--kafka-max-batch-records'));
  });
});
