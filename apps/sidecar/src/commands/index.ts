// The operator's commands of `sparkwire`, registered with one call from cli.ts.
import type { Command } from 'commander';
import type { CommandDeps } from './common';
import { addReportCommand } from './report';
import { addTailCommand } from './tail';
import { addStatusCommand } from './status';
import { addOffsetsCommands } from './offsets';

export type { CommandDeps } from './common';

export function addOperatorCommands(program: Command, deps: CommandDeps): void {
  addReportCommand(program, deps);
  addTailCommand(program, deps);
  addStatusCommand(program, deps);
  addOffsetsCommands(program, deps);
}
