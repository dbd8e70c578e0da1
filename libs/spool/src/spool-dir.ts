// Where the spool lives when spool.dir is unset. Absolute, under a per-user state directory:
// relative to the working directory, a sidecar started from elsewhere (a service manager, a
// new shell) would not find, hence not replay, what the last one spooled, and every run
// would leave its spool in whatever tree it was started from. The order is the XDG Base
// Directory one, behind a variable of our own that tests and packagers can point anywhere.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Overrides the state directory (tests, containers, packagers). Not a setting: no spool.* key or flag. */
export const STATE_DIR_ENV = 'SPARKWIRE_STATE_DIR';

/** $SPARKWIRE_STATE_DIR, else $XDG_STATE_HOME/sparkwire, else ~/.local/state/sparkwire; always absolute. */
export function sparkwireStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[STATE_DIR_ENV];
  if (own) return resolve(own);
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec: a relative value is invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, 'sparkwire');
  return join(env.HOME || homedir(), '.local', 'state', 'sparkwire');
}

/**
 * The spool directory of the gRPC server at host:port: <state dir>/spool/<host>_<port>, so
 * the next sidecar at the same address replays it. Port 0 is a new address each start: such
 * a sidecar gets a directory of its own process (the SDK removes it once drained).
 */
export function defaultSpoolDir(host: string, port: number, env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): string {
  const name = port === 0 ? `ephemeral-${pid}` : `${host.replace(/[^A-Za-z0-9.-]/g, '_')}_${port}`;
  return join(sparkwireStateDir(env), 'spool', name);
}
