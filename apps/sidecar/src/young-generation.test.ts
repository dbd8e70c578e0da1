import { describe, expect, it } from 'vitest';
import { chosenSemiSpace, pinnedArgv, SEMI_SPACE_MIB } from './young-generation';

const proc = (over: Partial<{ execArgv: string[]; env: NodeJS.ProcessEnv; execve: unknown }> = {}) => ({
  execPath: '/opt/node/bin/node',
  execArgv: ['--enable-source-maps'],
  argv: ['/opt/node/bin/node', '/app/sparkwire.mjs', 'serve', '--config', '/etc/sparkwire/sparkwire.yaml'],
  env: {},
  execve: () => undefined,
  ...over,
});

describe('the young generation pin', () => {
  it('finds a size the operator chose, in the node flags or NODE_OPTIONS, either spelling', () => {
    expect(chosenSemiSpace(['--max-semi-space-size=8'], undefined)).toBe('8');
    expect(chosenSemiSpace(['--max_semi_space_size', '64'], undefined)).toBe('64');
    expect(chosenSemiSpace([], '--max-old-space-size=384  --max-semi-space-size=16')).toBe('16');
    expect(chosenSemiSpace(['--max-old-space-size=384'], '--enable-source-maps')).toBeUndefined();
  });

  it('restarts with the flag after the existing node flags and before the script and its arguments', () => {
    expect(pinnedArgv(proc())).toEqual([
      '/opt/node/bin/node',
      '--enable-source-maps',
      `--max-semi-space-size=${SEMI_SPACE_MIB}`,
      '/app/sparkwire.mjs',
      'serve',
      '--config',
      '/etc/sparkwire/sparkwire.yaml',
    ]);
  });

  it('leaves the process alone when a size is chosen, after its own restart, and on a Node without execve', () => {
    expect(pinnedArgv(proc({ env: { NODE_OPTIONS: '--max-semi-space-size=4' } }))).toBeUndefined();
    const restarted = pinnedArgv(proc())!;
    expect(pinnedArgv(proc({ execArgv: restarted.slice(1, 3) }))).toBeUndefined();
    expect(pinnedArgv(proc({ execve: undefined }))).toBeUndefined();
  });
});
