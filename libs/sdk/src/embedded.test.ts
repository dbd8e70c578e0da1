// The embedded SDK: an in-process program builds the pipeline from the same configuration
// object the sidecar takes and feeds it events, with no gRPC in between.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticApplication } from '@sparkwire/testkit';
import { ConfigError, createPipeline, parseConfig } from './index';

describe('embedded pipeline', () => {
  it('publishes a whole synthetic application to the default file sink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-sdk-'));
    const built = createPipeline({ extended: true, file: { dir }, logLevel: 'silent' });
    await built.start();
    const app = syntheticApplication({ appId: 'app-e', stagesPerJob: [2], tasksPerStage: 10, executors: 1, sqlExecutions: 1, failedTasks: 1, streamingProgress: 2, startMs: Date.now() - 60_000 });
    const r = await built.pipeline.publishEvents(app);
    expect(r).toMatchObject({ accepted: app.length, duplicates: 0, taskEventsWanted: true });
    await built.close();
    const files = (built.sink as unknown as { files(): string[] }).files();
    const records = files.flatMap((f) => readFileSync(f, 'utf8').trim().split('\n')).map((l) => JSON.parse(l));
    expect(new Set(records.map((x) => x.eventId)).size).toBe(app.length);
    expect(records.filter((x) => x.name === 'task_metrics')).toHaveLength(app.filter((e) => e.body?.$case === 'taskEnd').length);
  });
});

describe('configuration object', () => {
  it('fills defaults: loopback, stage level, file sink', () => {
    const c = parseConfig({});
    expect(c.server.host).toBe('127.0.0.1');
    expect(c.extended).toBe(false);
    expect(c.kafka).toBeUndefined();
  });

  it('names an unknown key', () => {
    expect(() => parseConfig({ kafka: { brokers: ['h:1'], topik: 'x' } })).toThrow(new ConfigError('unknown key "kafka.topik"', 'kafka.topik'));
  });

  it('names a bad value', () => {
    try {
      parseConfig({ kafka: { brokers: ['no-port'] } });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).key).toBe('kafka.brokers.0');
      expect((err as Error).message).toContain('host:port');
    }
  });

  it('refuses a non-loopback bind without a token unless told explicitly', () => {
    expect(() => parseConfig({ server: { host: '0.0.0.0' } })).toThrow(/server.host.*not a loopback/);
    expect(parseConfig({ server: { host: '0.0.0.0', token: 'x'.repeat(32) } }).server.host).toBe('0.0.0.0');
    expect(parseConfig({ server: { host: '0.0.0.0', allowUnauthenticatedNonLoopback: true } }).server.host).toBe('0.0.0.0');
  });

  it('needs SASL credentials together', () => {
    expect(() => parseConfig({ kafka: { brokers: ['h:1'], saslMechanism: 'plain' } })).toThrow(/saslUsername/);
  });
});
