// The offsets section of the config: defaults, and the errors that name the key.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';

const kafka = { brokers: ['127.0.0.1:9092'] };

describe('offsets config', () => {
  it('is off by default, with the documented defaults', () => {
    expect(parseConfig({ kafka }).offsets).toEqual({
      enabled: false,
      defaultPolicy: 'earliest',
      groups: [],
      lagPollMs: 5000,
      lagWindowMs: 300000,
      stallAfterMs: 120000,
      lagTableSize: 120,
      commitFromProgress: [],
      commitFromProgressForce: false,
    });
  });

  it.each([
    [{ offsets: { enabled: true } }, 'offsets.enabled', /set kafka.brokers/],
    [{ kafka, offsets: { stallAfterMs: 300000 } }, 'offsets.stallAfterMs', /below offsets.lagWindowMs/],
    [{ kafka, offsets: { commitFromProgress: ['no-group'] } }, 'offsets.commitFromProgress.0', /query=group/],
    [{ kafka, offsets: { defaultPolicy: 'newest' } }, 'offsets.defaultPolicy', /./],
    [{ kafka, offsets: { nope: 1 } }, 'offsets.nope', /unknown key/],
  ])('%j is refused naming %s', (input, key, msg) => {
    try {
      parseConfig(input);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).key).toBe(key);
      expect((e as Error).message).toMatch(msg);
    }
  });
});
