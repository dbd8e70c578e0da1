// The `sparkwire` command: `serve` runs the sidecar, `print-config` shows the effective
// configuration (secrets redacted). Bad configuration exits with code 2 and names the value.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, parseConfig, type SparkwireConfig } from '@sparkwire/sdk';
import { redacted } from './redact';
import { SETTINGS, configFilePath, fromEnv, fromFlags, mergeSources, readConfigFile, type Setting } from './config-sources';
import { serve } from './serve';
import { addDeadLetterCommand } from './dead-letter';
import { addReplayCommand } from './replay';
import { VERSION } from './version';
import { pinYoungGeneration } from './young-generation';
import { checkHealth } from './health-check';
import { addOperatorCommands } from './commands';
import { settingHelp } from './commands/setting-help';

export const EXIT_CONFIG = 2;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env };

/** Resolves the configuration from file, environment and flags; throws ConfigError. */
export function resolveConfig(flags: Map<Setting, string>, configFile: string | undefined, env: NodeJS.ProcessEnv): SparkwireConfig {
  const file = configFile ? readConfigFile(configFile) : {};
  return parseConfig(mergeSources(file, fromEnv(env), fromFlags(flags)));
}

/**
 * Gives `cmd` the configuration options, with their help lines, once it is the command being run
 * (its parent's preSubcommand) or a help that shows it is written (its own, its parent's: the
 * list says "[options]"), not when it is declared: every command's copy (serve, print-config,
 * replay, each dead-letter subcommand) would otherwise stay in memory for the life of `serve`
 * (0.5 MB of heap after GC, and 7 MB of RSS at serving: 102.6 against 109.8 MB, medians of 6
 * alternating starts, session 10). They take the place in the option list they would have had. Returns the
 * attribute -> setting map that collectFlags reads, filled by then.
 */
function addSettingOptions(cmd: Command): Map<string, Setting> {
  const parent = cmd.parent;
  if (!parent) throw new Error(`addSettingOptions: ${cmd.name()} has no parent command yet`);
  const byAttr = new Map<string, Setting>();
  const at = cmd.options.length;
  let added = false;
  const add = () => {
    if (added) return;
    added = true;
    const before = cmd.options.length;
    cmd.option('-c, --config <file>', 'YAML or JSON configuration file (env: SPARKWIRE_CONFIG)');
    for (const s of SETTINGS) {
      const arg = s.kind === 'boolean' ? '[bool]' : s.kind === 'array' ? '<list>' : '<value>';
      const opt = new Option(`${s.flag} ${arg}`, settingHelp(s));
      cmd.addOption(opt);
      byAttr.set(opt.attributeName(), s);
    }
    const options = cmd.options as Option[];
    if (before > at) options.splice(at, 0, ...options.splice(before));
  };
  parent.hook('preSubcommand', (_parent, sub) => {
    if (sub === cmd) add();
  });
  cmd.on('beforeHelp', add);
  parent.on('beforeHelp', add);
  return byAttr;
}

function collectFlags(opts: Record<string, unknown>, byAttr: Map<string, Setting>): Map<Setting, string> {
  const flags = new Map<Setting, string>();
  for (const [attr, value] of Object.entries(opts)) {
    const s = byAttr.get(attr);
    if (s && value !== undefined) flags.set(s, value === true ? 'true' : String(value));
  }
  return flags;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = new Command('sparkwire')
    .description('Carries Spark listener events from the driver to Kafka, OpenTelemetry and Prometheus')
    .version(VERSION, '-V, --version', 'print the sparkwire version')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  let action: (() => Promise<number>) | undefined;
  const serveCmd = program.command('serve').description('run the sidecar').exitOverride();
  const serveAttrs = addSettingOptions(serveCmd);
  serveCmd.action((opts) => {
    action = async () => {
      const config = resolveConfig(collectFlags(opts, serveAttrs), configFilePath(opts.config, io.env), io.env);
      // Only for the real process (tests call main in their own): once the configuration is
      // known to be usable, so a bad one exits at once.
      if (io === defaultIo) pinYoungGeneration();
      return serve(config);
    };
  });
  const printCmd = program.command('print-config').description('print the effective configuration and exit').exitOverride();
  const printAttrs = addSettingOptions(printCmd);
  printCmd.action((opts) => {
    action = async () => {
      const config = resolveConfig(collectFlags(opts, printAttrs), configFilePath(opts.config, io.env), io.env);
      io.out(`${JSON.stringify(redacted(config), null, 2)}\n`);
      return 0;
    };
  });

  program
    .command('health')
    .description('exit 0 if a running sidecar reports the service SERVING on grpc.health.v1 (container health checks)')
    .option('--address <host:port>', 'the sidecar to ask', '127.0.0.1:50551')
    .option('--service <name>', 'health service name: "" (the process), sparkwire.v1.ListenerService, sparkwire.kafka, sparkwire.file', '')
    .option('--timeout-ms <ms>', 'give up after', '3000')
    .exitOverride()
    .action((opts) => {
      action = async () => {
        try {
          const status = await checkHealth(opts.address, opts.service, Number(opts.timeoutMs));
          io.out(`${status}\n`);
          return status === 'SERVING' ? 0 : 1;
        } catch (err) {
          io.err(`sparkwire health: ${opts.address}: ${(err as Error).message}\n`);
          return 1;
        }
      };
    });

  addDeadLetterCommand(program, {
    io,
    addSettingOptions,
    configFrom: (opts, attrs) => resolveConfig(collectFlags(opts, attrs as Map<string, Setting>), configFilePath(opts.config as string | undefined, io.env), io.env),
    setAction: (a) => (action = a),
  });

  addReplayCommand(program, {
    io: { ...io, isTTY: io === defaultIo && process.stderr.isTTY },
    addSettingOptions,
    configFrom: (opts, attrs) => resolveConfig(collectFlags(opts, attrs as Map<string, Setting>), configFilePath(opts.config as string | undefined, io.env), io.env),
    setAction: (a) => (action = a),
  });

  addOperatorCommands(program, { io: { ...io, stdoutIsTTY: io === defaultIo && process.stdout.isTTY, stderrIsTTY: io === defaultIo && process.stderr.isTTY }, setAction: (a) => (action = a) });

  try {
    await program.parseAsync(argv);
    return action ? await action() : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_CONFIG;
    }
    if (err instanceof ConfigError) {
      io.err(`sparkwire: invalid configuration: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    io.err(`sparkwire: ${(err as Error).message}\n`);
    return 1;
  }
}
