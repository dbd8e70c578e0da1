// The `sparkwire` command: `serve` runs the sidecar, `print-config` shows the effective
// configuration (secrets redacted). Bad configuration exits with code 2 and names the value.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, parseConfig, type SparkwireConfig } from '@sparkwire/sdk';
import { redacted } from './redact';
import { SETTINGS, configFilePath, fromEnv, fromFlags, mergeSources, readConfigFile, type Setting } from './config-sources';
import { serve } from './serve';

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

function addSettingOptions(cmd: Command): Map<string, Setting> {
  const byAttr = new Map<string, Setting>();
  cmd.option('-c, --config <file>', 'YAML or JSON configuration file (env: SPARKWIRE_CONFIG)');
  for (const s of SETTINGS) {
    const arg = s.kind === 'boolean' ? '[bool]' : s.kind === 'array' ? '<list>' : '<value>';
    const opt = new Option(`${s.flag} ${arg}`, `${s.key}${s.choices ? ` (${s.choices.join('|')})` : ''} (env: ${s.env})`);
    cmd.addOption(opt);
    byAttr.set(opt.attributeName(), s);
  }
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
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  let action: (() => Promise<number>) | undefined;
  const serveCmd = program.command('serve').description('run the sidecar').exitOverride();
  const serveAttrs = addSettingOptions(serveCmd);
  serveCmd.action((opts) => {
    action = async () => {
      const config = resolveConfig(collectFlags(opts, serveAttrs), configFilePath(opts.config, io.env), io.env);
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
