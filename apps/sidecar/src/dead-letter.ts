// `sparkwire dead-letter list|show|redrive|discard`: the records Kafka refused after the
// sidecar had acked them, in <spool dir>/dead-letter (docs/reliability.md, "The dead-letter
// store"). The spool directory comes from the same configuration and environment as `serve`
// (--spool-dir, or --server-host/--server-port under the state directory: SPARKWIRE_STATE_DIR,
// XDG_STATE_HOME or ~/.local/state; or --config FILE); redrive also needs the Kafka settings.
// It works while the sidecar runs: the sidecar only adds files, these commands only rewrite
// or delete files (one re-drive at a time).
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { createLogger, createSink, spoolDirFor, type SparkwireConfig } from '@sparkwire/sdk';
import { DeadLetterStore, redrive, type StoredEntry } from '@sparkwire/spool';

export interface DeadLetterDeps {
  /** env: where the spool's state directory is looked up, as serve does (default process.env). */
  io: { out: (s: string) => void; err: (s: string) => void; env?: NodeJS.ProcessEnv };
  /** Adds the configuration options to a command; returns what collect() needs. */
  addSettingOptions: (cmd: Command) => unknown;
  /** The configuration from a command's parsed options. */
  configFrom: (opts: Record<string, unknown>, attrs: unknown) => SparkwireConfig;
  setAction: (action: () => Promise<number>) => void;
}

const EXIT_FAILED = 1;

export function addDeadLetterCommand(program: Command, deps: DeadLetterDeps): void {
  const { io } = deps;
  const dl = program
    .command('dead-letter')
    .description('records Kafka refused after they were acked: list, show, redrive (publish again), discard')
    .exitOverride();

  const sub = (name: string, description: string) => {
    const cmd = dl.command(name).description(description).exitOverride();
    const attrs = deps.addSettingOptions(cmd);
    return { cmd, attrs };
  };
  const storeOf = (config: SparkwireConfig) => new DeadLetterStore(spoolDirFor(config, io.env));

  {
    const { cmd, attrs } = sub('list', 'list the dead-lettered records (oldest first)');
    cmd.option('--json', 'one JSON object per line (the entry without its value)');
    cmd.action((opts) => {
      deps.setAction(async () => {
        const store = storeOf(deps.configFrom(opts, attrs));
        const entries = await store.list();
        if (opts.json) {
          for (const e of entries) io.out(`${JSON.stringify(withoutValue(e))}\n`);
          return 0;
        }
        if (entries.length === 0) {
          io.out(`no dead-lettered records in ${store.dir}\n`);
          return 0;
        }
        const rows = entries.map((e) => [e.id, e.deadAt.slice(0, 19).replace('T', ' '), e.topic, e.key ?? '(none)', String(e.bytes), e.error.reason, e.eventId ?? '', String(e.redriveAttempts ?? 0)]);
        io.out(table(['id', 'dead at (UTC)', 'topic', 'key', 'bytes', 'reason', 'event id', 're-drives'], rows));
        io.out(`${entries.length} record(s) in ${store.dir}\n`);
        return 0;
      });
    });
  }
  {
    const { cmd, attrs } = sub('show', 'print one dead-lettered record as JSON (its value shortened unless --full)');
    cmd.argument('<id>', 'the entry id (from list)');
    cmd.option('--full', 'print the whole value');
    cmd.option('--value-only', 'print only the value (as stored: text, or the binary bytes)');
    cmd.action((id: string, opts) => {
      deps.setAction(async () => {
        const store = storeOf(deps.configFrom(opts, attrs));
        const e = (await store.list()).find((x) => x.id === id);
        if (!e) {
          io.err(`sparkwire dead-letter: no entry ${id} in ${store.dir}\n`);
          return EXIT_FAILED;
        }
        if (opts.valueOnly) {
          io.out(e.valueEncoding === 'base64' ? Buffer.from(e.value, 'base64').toString('latin1') : `${e.value}\n`);
          return 0;
        }
        const max = 2000;
        const shown = opts.full || e.value.length <= max ? e : { ...e, value: `${e.value.slice(0, max)}... (${e.value.length} characters; --full for all)` };
        io.out(`${JSON.stringify(shown, null, 2)}\n`);
        return 0;
      });
    });
  }
  {
    const { cmd, attrs } = sub('redrive', 'publish dead-lettered records to Kafka again (all, or the ids given); delivered ones are removed');
    cmd.argument('[ids...]', 'entry ids (default: all)');
    cmd.option('--wait-ms <ms>', 'how long to wait for Kafka', '15000');
    cmd.action((ids: string[], opts) => {
      deps.setAction(async () => {
        const config = deps.configFrom(opts, attrs);
        if (!config.kafka) {
          io.err('sparkwire dead-letter redrive: needs the Kafka settings (--kafka-brokers or the config file)\n');
          return 2;
        }
        const store = storeOf(config);
        const log = createLogger('warn', new Writable({ write: (chunk, _e, cb) => (io.err(String(chunk)), cb()) }));
        const { sink } = createSink(config, log, {});
        await sink.start();
        try {
          const waitMs = Number(opts.waitMs);
          const t0 = Date.now();
          while (!sink.isReady() && Date.now() - t0 < waitMs) await new Promise((r) => setTimeout(r, 100));
          if (!sink.isReady()) {
            io.err(`sparkwire dead-letter redrive: Kafka (${config.kafka.brokers.join(',')}) not reachable within ${waitMs} ms; nothing changed\n`);
            return EXIT_FAILED;
          }
          const res = await redrive(store, sink, {
            ids: ids.length > 0 ? ids : undefined,
            onEntry: (id, outcome, error) => io.out(`${id}\t${outcome}${error ? `\t${error.reason}: ${error.message}` : ''}\n`),
          });
          for (const id of res.missing) io.err(`sparkwire dead-letter redrive: no entry ${id}\n`);
          if (res.stoppedBy) io.err(`sparkwire dead-letter redrive: stopped, Kafka failed: ${res.stoppedBy}; what was not delivered is kept\n`);
          io.out(`delivered ${res.delivered.length} of ${res.entries}; still refused ${res.refused.length}; left in ${store.dir}: ${(await store.list()).length}\n`);
          return res.refused.length > 0 || res.missing.length > 0 || res.stoppedBy ? EXIT_FAILED : 0;
        } finally {
          await sink.close();
        }
      });
    });
  }
  {
    const { cmd, attrs } = sub('discard', 'remove dead-lettered records without publishing them (the ids given)');
    cmd.argument('<ids...>', 'entry ids');
    cmd.action((ids: string[], opts) => {
      deps.setAction(async () => {
        const store = storeOf(deps.configFrom(opts, attrs));
        const release = store.lock();
        try {
          const n = await store.discard(new Set(ids));
          io.out(`discarded ${n} record(s)\n`);
          return n === ids.length ? 0 : EXIT_FAILED;
        } finally {
          release();
        }
      });
    });
  }
}

function withoutValue(e: StoredEntry): Omit<StoredEntry, 'value'> {
  const { value: _v, ...rest } = e;
  return rest;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
