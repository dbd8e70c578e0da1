/**
 * Dev broker CLI:
 *   npx tsx testing/kafka/src/cli.ts start [--port 9092] [--controller-port N] [--data-dir DIR] [--heap-mb N] [--partitions N]
 *   npx tsx testing/kafka/src/cli.ts stop|status [--data-dir DIR]
 *   npx tsx testing/kafka/src/cli.ts fetch
 *
 * `start` leaves the broker running in the background and returns once a client can use
 * it; the pid and addresses are in <data dir>/broker.json, which `stop` and `status` read.
 * Exit codes: 0 ok, 1 failure, 2 usage error, 3 `status` found no running broker.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, ensureKafka, isBrokerProcess, readBrokerState, startBroker, KAFKA_VERSION } from './broker.js';

const USAGE = `Usage: cli.ts <command> [options]

Commands:
  start    start a Kafka ${KAFKA_VERSION} broker in the background, print its bootstrap address
  stop     stop the broker started with the same --data-dir
  status   print whether that broker is running (exit 3 if not)
  fetch    only download Kafka's jars into the cache

Options:
  --port N             PLAINTEXT listener port (default 9092)
  --controller-port N  KRaft controller port (default: the data dir's previous one, else a free one)
  --data-dir DIR       broker data dir (default <cache>/kafka-dev, cache = $SPARKWIRE_CACHE or <repo>/.cache)
  --heap-mb N          max JVM heap in MB (default 512)
  --partitions N       partitions of auto-created topics (default 1)
`;

class UsageError extends Error {}

const STOP_GRACE_MS = 15_000;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        'controller-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'heap-mb': { type: 'string' },
        partitions: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`);
  const dataDir = path.resolve(values['data-dir'] ?? path.join(cacheDir(), 'kafka-dev'));

  switch (command) {
    case 'fetch': {
      const started = Date.now();
      const { libDir } = await ensureKafka();
      console.log(`Kafka ${KAFKA_VERSION} jars in ${libDir} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      return 0;
    }
    case 'start': {
      const running = await runningBroker(dataDir);
      if (running) {
        // Idempotent, so scripts can call `start` without checking first.
        console.error(`Kafka already running for ${dataDir} (pid ${running.pid})`);
        console.log(running.bootstrap);
        return 0;
      }
      const broker = await startBroker({
        port: intOption(values.port, '--port') ?? 9092,
        controllerPort: intOption(values['controller-port'], '--controller-port'),
        heapMb: intOption(values['heap-mb'], '--heap-mb'),
        numPartitions: intOption(values.partitions, '--partitions'),
        dataDir,
        detached: true,
      });
      console.error(`Kafka ${KAFKA_VERSION} running (pid ${broker.pid}, data dir ${dataDir}, log ${path.join(dataDir, 'logs', 'server.log')})`);
      console.log(broker.bootstrap); // stdout holds only the address, for BOOTSTRAP=$(... start)
      return 0;
    }
    case 'stop': {
      const running = await runningBroker(dataDir);
      if (!running) {
        console.log(`Kafka is not running for ${dataDir}`);
        return 0;
      }
      await stopPid(running.pid, dataDir);
      console.log(`Kafka stopped (pid ${running.pid})`);
      return 0;
    }
    case 'status': {
      const running = await runningBroker(dataDir);
      if (!running) {
        console.log(`Kafka is not running for ${dataDir}`);
        return 3;
      }
      console.log(`Kafka is running at ${running.bootstrap} (pid ${running.pid}, data dir ${dataDir})`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

/** The recorded broker of this data dir, if its JVM is still the one alive under that pid. */
async function runningBroker(dataDir: string) {
  const state = await readBrokerState(dataDir);
  return state && isBrokerProcess(state.pid, dataDir) ? state : undefined;
}

/** SIGTERM for a controlled shutdown, SIGKILL if it has not exited after 15 s. */
async function stopPid(pid: number, dataDir: string): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (isBrokerProcess(pid, dataDir)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      console.error(`Kafka (pid ${pid}) ignored SIGTERM for ${STOP_GRACE_MS / 1000}s: killed`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} needs a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`error: ${(err as Error).message}`);
    process.exit(1);
  },
);
