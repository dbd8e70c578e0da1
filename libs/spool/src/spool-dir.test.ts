// The spool's default directory: which variable wins, and that the result never depends on
// the working directory (a sidecar started elsewhere must find the spool to replay it).
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSpoolDir, sparkwireStateDir, STATE_DIR_ENV } from './spool-dir';

describe('the state directory', () => {
  it('SPARKWIRE_STATE_DIR, else XDG_STATE_HOME/sparkwire, else ~/.local/state/sparkwire', () => {
    const all = { [STATE_DIR_ENV]: '/srv/sw-state', XDG_STATE_HOME: '/xdg/state', HOME: '/home/u' };
    expect(sparkwireStateDir(all)).toBe(resolve('/srv/sw-state'));
    expect(sparkwireStateDir({ ...all, [STATE_DIR_ENV]: undefined })).toBe(join('/xdg/state', 'sparkwire'));
    expect(sparkwireStateDir({ HOME: '/home/u' })).toBe(join('/home/u', '.local', 'state', 'sparkwire'));
  });

  it('empty variables count as unset; a relative XDG_STATE_HOME is ignored (XDG spec)', () => {
    expect(sparkwireStateDir({ [STATE_DIR_ENV]: '', XDG_STATE_HOME: '', HOME: '/home/u' })).toBe(join('/home/u', '.local', 'state', 'sparkwire'));
    expect(sparkwireStateDir({ XDG_STATE_HOME: 'rel/state', HOME: '/home/u' })).toBe(join('/home/u', '.local', 'state', 'sparkwire'));
  });

  it('is absolute: a relative SPARKWIRE_STATE_DIR is taken from where the process starts; no HOME falls back to the account home', () => {
    expect(sparkwireStateDir({ [STATE_DIR_ENV]: 'state' })).toBe(resolve('state'));
    expect(sparkwireStateDir({})).toBe(join(homedir(), '.local', 'state', 'sparkwire'));
    expect(isAbsolute(sparkwireStateDir({}))).toBe(true);
  });
});

describe('the default spool directory', () => {
  const env = { [STATE_DIR_ENV]: '/srv/sw-state' };

  it('is spool/<host>_<port> under the state directory, the host made a file name', () => {
    expect(defaultSpoolDir('127.0.0.1', 50551, env)).toBe(join(resolve('/srv/sw-state'), 'spool', '127.0.0.1_50551'));
    expect(defaultSpoolDir('::1', 50551, env)).toBe(join(resolve('/srv/sw-state'), 'spool', '__1_50551'));
  });

  it('is per process with port 0 (a new address each start)', () => {
    expect(defaultSpoolDir('127.0.0.1', 0, env, 4242)).toBe(join(resolve('/srv/sw-state'), 'spool', 'ephemeral-4242'));
    expect(defaultSpoolDir('127.0.0.1', 0, env)).toBe(join(resolve('/srv/sw-state'), 'spool', `ephemeral-${process.pid}`));
  });
});
