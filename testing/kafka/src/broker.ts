/**
 * A real, local Apache Kafka broker for tests and development.
 *
 * There is no Docker and no Kafka package on our machines, so the broker jars come
 * from Maven Central (../pom.xml) into a cache dir, and each broker is a
 * single-node KRaft JVM (broker + controller in one process) started as a child
 * process with its own data dir and free ports, so tests and a dev broker can run
 * side by side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

export const KAFKA_VERSION = '4.1.1';

/** testing/kafka, found from this file so it works from any cwd. */
const TOOL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = path.resolve(TOOL_DIR, '..', '..');
const POM = path.join(TOOL_DIR, 'pom.xml');
const LOG4J_CONFIG = path.join(TOOL_DIR, 'log4j2.xml');

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

export interface StartOptions {
  /** PLAINTEXT listener port; a free one is picked when omitted. */
  port?: number;
  /** KRaft controller listener port; reused from the data dir's last start, else a free one. */
  controllerPort?: number;
  /** Kept between starts (restart() relies on it); a fresh temp dir, removed at exit, when omitted. */
  dataDir?: string;
  /** Max heap in MB (default 512). */
  heapMb?: number;
  /** Adds a SASL_PLAINTEXT listener (mechanism PLAIN) that accepts exactly these user -> password pairs. */
  saslPlainUsers?: Record<string, string>;
  /**
   * SCRAM-SHA-256 and SCRAM-SHA-512 credentials (user -> password) on the SASL listener(s), which
   * this adds when saslPlainUsers does not. Stored when the data dir is formatted: users given to a
   * later start of the same data dir are not added.
   */
  saslScramUsers?: Record<string, string>;
  /**
   * PEM files for TLS: adds an SSL listener (sslBootstrap) and, with SASL users, a SASL_SSL one
   * (saslSslBootstrap). The key must be unencrypted PKCS#8 ("BEGIN PRIVATE KEY"). With caFile,
   * SSL-listener clients must present a certificate signed by it (mutual TLS).
   */
  tls?: { certFile: string; keyFile: string; caFile?: string; requireClientCert?: boolean };
  /** num.partitions for auto-created topics (default 1). */
  numPartitions?: number;
  /**
   * Let the broker outlive this Node process (own process group, not killed at exit once ready).
   * Used by the CLI's `start`; tests should leave it off so brokers never leak.
   */
  detached?: boolean;
}

export interface Broker {
  /** "127.0.0.1:port" of the PLAINTEXT listener. */
  bootstrap: string;
  port: number;
  /** "127.0.0.1:port" of the SASL_PLAINTEXT listener, only when saslPlainUsers or saslScramUsers was given. */
  saslBootstrap?: string;
  /** "127.0.0.1:port" of the SSL listener, only with tls. */
  sslBootstrap?: string;
  /** "127.0.0.1:port" of the SASL_SSL listener, only with tls and SASL users. */
  saslSslBootstrap?: string;
  controllerPort: number;
  dataDir: string;
  /** Current JVM pid (changes after restart()). */
  pid: number;
  /** SIGTERM (controlled shutdown), SIGKILL after 15 s; resolves once the JVM has exited. */
  stop(): Promise<void>;
  /** SIGKILL at once, for crash tests; does not wait. */
  kill(): void;
  /** stop() if running, then start again on the same ports and data dir (data is kept). */
  restart(): Promise<void>;
}

/** What startBroker records in <dataDir>/broker.json; the CLI reads it for stop/status. */
export interface BrokerState {
  pid: number;
  bootstrap: string;
  saslBootstrap?: string;
  sslBootstrap?: string;
  saslSslBootstrap?: string;
  port: number;
  controllerPort: number;
  saslPort?: number;
  sslPort?: number;
  saslSslPort?: number;
  dataDir: string;
  startedAt: string;
}

// ---------------------------------------------------------------------------
// Fetching the jars
// ---------------------------------------------------------------------------

/** $SPARKWIRE_CACHE, else <repo>/.cache (gitignored). */
export function cacheDir(): string {
  return path.resolve(process.env.SPARKWIRE_CACHE || path.join(REPO_ROOT, '.cache'));
}

let fetching: Promise<{ libDir: string; classpath: string }> | undefined;

/**
 * Makes sure Kafka's jars are in <cache>/kafka-4.1.1/libs and returns the java classpath.
 * Cheap when cached: the marker file holds a hash of pom.xml, so editing the pom refetches.
 */
export function ensureKafka(): Promise<{ libDir: string; classpath: string }> {
  // Memoised so concurrent starts in one process share one fetch (and one check).
  fetching ??= fetchKafka().catch((err) => {
    fetching = undefined; // let a later call retry, e.g. after the network is back
    throw err;
  });
  return fetching;
}

async function fetchKafka(): Promise<{ libDir: string; classpath: string }> {
  const home = path.join(cacheDir(), `kafka-${KAFKA_VERSION}`);
  const libDir = path.join(home, 'libs');
  const marker = path.join(home, '.fetched');
  const result = { libDir, classpath: path.join(libDir, '*') };
  const want = createHash('sha256').update(await fs.readFile(POM)).digest('hex');
  const fresh = async () => (await readText(marker))?.trim() === want && existsSync(libDir);

  if (await fresh()) return result;
  await fs.mkdir(home, { recursive: true });
  // Other processes (parallel vitest files, the CLI) may fetch at the same time: one fetches, the others wait.
  const unlock = await lockDir(path.join(home, '.lock'));
  try {
    if (await fresh()) return result;
    const tmp = await fs.mkdtemp(path.join(home, 'libs.tmp-'));
    try {
      await runMaven(['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`]);
      if (!existsSync(path.join(tmp, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
        throw new Error(`Maven finished but ${tmp} has no kafka_2.13-${KAFKA_VERSION}.jar`);
      }
      // Swap in the complete dir only, so a half-finished fetch is never used.
      await fs.rm(libDir, { recursive: true, force: true });
      await fs.rename(tmp, libDir);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
    await fs.writeFile(marker, want + '\n');
    return result;
  } finally {
    await unlock();
  }
}

async function runMaven(args: string[]): Promise<void> {
  const { code, output, spawnError } = await runCollect('mvn', args, { cwd: TOOL_DIR });
  if (spawnError?.code === 'ENOENT') {
    throw new Error('Maven (mvn) is not on PATH: it is needed once to fetch Kafka (e.g. `apt-get install maven`).');
  }
  if (code !== 0) {
    throw new Error(`Fetching Kafka ${KAFKA_VERSION} with Maven failed (exit ${code}):\n${tail(output, 40)}`);
  }
}

/** A cross-process lock: mkdir is atomic. A lock whose owner pid is gone is taken over. */
async function lockDir(dir: string, timeoutMs = 15 * 60_000): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'pid'), String(process.pid));
      return () => fs.rm(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(await readText(path.join(dir, 'pid')));
    if (owner && !isAlive(owner)) {
      await fs.rm(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for lock ${dir} (held by pid ${owner || '?'})`);
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------
// Java
// ---------------------------------------------------------------------------

function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

let javaChecked: Promise<void> | undefined;

/** Kafka 4 needs Java 17+; say so plainly instead of letting the JVM fail with a class-version error. */
function checkJava(): Promise<void> {
  javaChecked ??= (async () => {
    const { code, output, spawnError } = await runCollect(javaBin(), ['-version'], {});
    if (spawnError || code !== 0) {
      throw new Error(`Java 17+ is needed to run Kafka, but \`${javaBin()} -version\` failed: ${spawnError?.message ?? output}`);
    }
    const major = Number(/version "(?:1\.)?(\d+)/.exec(output)?.[1]);
    if (!(major >= 17)) throw new Error(`Kafka ${KAFKA_VERSION} needs Java 17+, found: ${output.split('\n')[0]}`);
  })();
  return javaChecked;
}

/** JVM flags shared by the broker and the Kafka tools. */
function jvmArgs(logDir: string, heapMb: number): string[] {
  return [
    `-Xms${Math.min(256, heapMb)}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${logDir}`,
    // Tools print numbers with the default locale; parsing below expects "1234.56".
    '-Duser.language=en',
    '-Duser.country=US',
  ];
}

// ---------------------------------------------------------------------------
// The broker
// ---------------------------------------------------------------------------

/** Brokers to kill if this process exits; detached ones only until they are ready. */
const liveChildren = new Set<ChildProcess>();
/** Temp data dirs this process created (no dataDir given); removed at exit. */
const ownedDataDirs = new Set<string>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    liveChildren.clear();
    for (const dir of ownedDataDirs) rmSync(dir, { recursive: true, force: true });
    ownedDataDirs.clear();
  };
  process.on('exit', killAll);
  // 'exit' does not run when a signal ends the process (e.g. a test runner stopping its
  // workers), so also clean up on the usual ones; if nobody else handles the signal,
  // re-raise it so the process still ends the way it would have.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

export async function startBroker(opts: StartOptions = {}): Promise<Broker> {
  await checkJava();
  const { classpath } = await ensureKafka();

  let dataDir: string;
  if (opts.dataDir) {
    dataDir = path.resolve(opts.dataDir);
  } else {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sparkwire-kafka-'));
    // A detached broker outlives us, so its data dir must too.
    if (!opts.detached) ownedDataDirs.add(dataDir);
  }
  await fs.mkdir(dataDir, { recursive: true });
  const previous = await readBrokerState(dataDir);
  if (previous && isBrokerProcess(previous.pid, dataDir)) {
    throw new Error(`Cannot start Kafka: ${dataDir} is in use by a running broker (pid ${previous.pid}, ${previous.bootstrap})`);
  }

  // Ports are fixed for the broker's lifetime so restart() comes back on the same address.
  const ports = await choosePorts(opts, previous);
  const config: BrokerConfig = {
    ...ports,
    dataDir,
    classpath,
    heapMb: opts.heapMb ?? 512,
    numPartitions: opts.numPartitions ?? 1,
    saslPlainUsers: opts.saslPlainUsers,
    saslScramUsers: opts.saslScramUsers,
    tls: opts.tls,
    detached: opts.detached ?? false,
  };
  await assertPortsFree(config); // before formatting, to fail fast
  await writeServerProperties(config);
  await formatIfNeeded(config);

  const broker = new LocalBroker(config);
  await broker.start();
  return broker;
}

interface BrokerConfig {
  port: number;
  controllerPort: number;
  saslPort?: number;
  sslPort?: number;
  saslSslPort?: number;
  dataDir: string;
  classpath: string;
  heapMb: number;
  numPartitions: number;
  saslPlainUsers?: Record<string, string>;
  saslScramUsers?: Record<string, string>;
  tls?: StartOptions['tls'];
  detached: boolean;
}

const paths = (dataDir: string) => ({
  props: path.join(dataDir, 'server.properties'),
  logDirs: path.join(dataDir, 'kraft-logs'),
  logs: path.join(dataDir, 'logs'),
  serverLog: path.join(dataDir, 'logs', 'server.log'),
  stdout: path.join(dataDir, 'logs', 'broker.out'),
  state: path.join(dataDir, 'broker.json'),
});

class LocalBroker implements Broker {
  readonly bootstrap: string;
  readonly saslBootstrap?: string;
  readonly sslBootstrap?: string;
  readonly saslSslBootstrap?: string;
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly config: BrokerConfig) {
    this.bootstrap = `127.0.0.1:${config.port}`;
    if (config.saslPort) this.saslBootstrap = `127.0.0.1:${config.saslPort}`;
    if (config.sslPort) this.sslBootstrap = `127.0.0.1:${config.sslPort}`;
    if (config.saslSslPort) this.saslSslBootstrap = `127.0.0.1:${config.saslSslPort}`;
  }

  get port(): number {
    return this.config.port;
  }
  get controllerPort(): number {
    return this.config.controllerPort;
  }
  get dataDir(): string {
    return this.config.dataDir;
  }
  get pid(): number {
    return this.child?.pid ?? -1;
  }

  async start(): Promise<void> {
    const { config } = this;
    const p = paths(config.dataDir);
    await fs.mkdir(p.logs, { recursive: true });
    await assertPortsFree(config);

    // The JVM writes to a file, not a pipe: a detached broker must not depend on us reading it.
    const out = openSync(p.stdout, 'a');
    const child = spawn(
      javaBin(),
      [...jvmArgs(p.logs, config.heapMb), '-cp', config.classpath, 'kafka.Kafka', p.props],
      { cwd: config.dataDir, stdio: ['ignore', out, out], detached: config.detached },
    );
    closeSync(out);
    this.child = child;
    installExitHooks();
    liveChildren.add(child);
    let exitInfo: string | undefined;
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        exitInfo = `could not be started: ${err.message}`;
        liveChildren.delete(child);
        resolve();
      });
      child.once('exit', (code, signal) => {
        exitInfo = `exited with ${signal ?? `code ${code}`}`;
        liveChildren.delete(child);
        resolve();
      });
    });

    try {
      await waitUntilReady(this.bootstrap, await clusterIdOf(config.dataDir), () => exitInfo);
    } catch (err) {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(
        `Kafka broker on ${this.bootstrap} (data dir ${config.dataDir}) did not start: ${(err as Error).message}\n` +
          // Console output first: WARN/ERROR and JVM failures land there.
          `--- tail of ${p.stdout} ---\n${tail((await readText(p.stdout)) ?? '', 15)}\n` +
          `--- tail of ${p.serverLog} ---\n${tail((await readText(p.serverLog)) ?? '', 30)}`,
      );
    }

    // A running broker must not keep this process alive (a test file or script that
    // forgets stop() still ends; the exit hook then kills the JVM). stop() re-refs it.
    child.unref();
    // Detached (CLI): from now on it lives on its own and survives this process.
    if (config.detached) liveChildren.delete(child);
    const state: BrokerState = {
      pid: child.pid!,
      bootstrap: this.bootstrap,
      saslBootstrap: this.saslBootstrap,
      sslBootstrap: this.sslBootstrap,
      saslSslBootstrap: this.saslSslBootstrap,
      port: config.port,
      controllerPort: config.controllerPort,
      saslPort: config.saslPort,
      sslPort: config.sslPort,
      saslSslPort: config.saslSslPort,
      dataDir: config.dataDir,
      startedAt: new Date().toISOString(),
    };
    await fs.writeFile(p.state, JSON.stringify(state, null, 2) + '\n');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.ref(); // keep this process alive until the JVM has shut down cleanly
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(force);
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop(); // also waits for a kill()ed JVM to be gone, so its ports are free
    await this.start();
  }
}

async function choosePorts(
  opts: StartOptions,
  previous: BrokerState | undefined,
): Promise<{ port: number; controllerPort: number; saslPort?: number; sslPort?: number; saslSslPort?: number }> {
  const [port, controllerPort, saslPort, sslPort, saslSslPort] = await freePorts(5);
  const sasl = Boolean(opts.saslPlainUsers || opts.saslScramUsers);
  return {
    port: opts.port ?? port,
    // The KRaft voter set written at format time records the controller's endpoint, so a
    // data dir keeps its controller port unless told otherwise.
    controllerPort: opts.controllerPort ?? previous?.controllerPort ?? controllerPort,
    saslPort: sasl ? saslPort : undefined,
    sslPort: opts.tls ? sslPort : undefined,
    saslSslPort: opts.tls && sasl ? saslSslPort : undefined,
  };
}

/** A port taken by someone else would have the readiness check talk to the wrong server: fail clearly instead. */
async function assertPortsFree(c: BrokerConfig): Promise<void> {
  for (const port of [c.port, c.controllerPort, c.saslPort, c.sslPort, c.saslSslPort]) {
    if (port && !(await isPortFree(port))) {
      throw new Error(`Cannot start Kafka: port ${port} on 127.0.0.1 is already in use`);
    }
  }
}

async function writeServerProperties(c: BrokerConfig): Promise<void> {
  const p = paths(c.dataDir);
  const listeners = [`PLAINTEXT://127.0.0.1:${c.port}`, `CONTROLLER://127.0.0.1:${c.controllerPort}`];
  const advertised = [`PLAINTEXT://127.0.0.1:${c.port}`];
  const protocols = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT'];
  const sasl: string[] = [];
  const saslListeners: string[] = [];
  if (c.saslPort) {
    listeners.push(`SASL_PLAINTEXT://127.0.0.1:${c.saslPort}`);
    advertised.push(`SASL_PLAINTEXT://127.0.0.1:${c.saslPort}`);
    protocols.push('SASL_PLAINTEXT:SASL_PLAINTEXT');
    saslListeners.push('sasl_plaintext');
  }
  if (c.sslPort && c.tls) {
    listeners.push(`SSL://127.0.0.1:${c.sslPort}`);
    advertised.push(`SSL://127.0.0.1:${c.sslPort}`);
    protocols.push('SSL:SSL');
  }
  if (c.saslSslPort && c.tls) {
    listeners.push(`SASL_SSL://127.0.0.1:${c.saslSslPort}`);
    advertised.push(`SASL_SSL://127.0.0.1:${c.saslSslPort}`);
    protocols.push('SASL_SSL:SASL_SSL');
    saslListeners.push('sasl_ssl');
  }
  if (saslListeners.length > 0) {
    const mechanisms = [...(c.saslPlainUsers ? ['PLAIN'] : []), ...(c.saslScramUsers ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'] : [])];
    sasl.push(`sasl.enabled.mechanisms=${mechanisms.join(',')}`);
    for (const l of saslListeners) {
      if (c.saslPlainUsers) sasl.push(`listener.name.${l}.plain.sasl.jaas.config=${plainJaas(c.saslPlainUsers)}`);
      if (c.saslScramUsers) {
        for (const m of ['scram-sha-256', 'scram-sha-512']) sasl.push(`listener.name.${l}.${m}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`);
      }
    }
  }
  if (c.tls) {
    // PEM key stores (KIP-651): the key file and certificate chain combined into one file.
    const keystore = path.join(c.dataDir, 'tls-keystore.pem');
    await fs.writeFile(keystore, `${(await fs.readFile(c.tls.keyFile, 'utf8')).trim()}\n${(await fs.readFile(c.tls.certFile, 'utf8')).trim()}\n`, { mode: 0o600 });
    sasl.push('ssl.keystore.type=PEM', `ssl.keystore.location=${keystore.replace(/\\/g, '/')}`);
    if (c.tls.caFile) {
      sasl.push('ssl.truststore.type=PEM', `ssl.truststore.location=${path.resolve(c.tls.caFile).replace(/\\/g, '/')}`);
      if (c.tls.requireClientCert) sasl.push('listener.name.ssl.ssl.client.auth=required');
    }
  }
  const lines = [
    '# Written by testing/kafka/src/broker.ts on every start; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${c.controllerPort}`,
    `listeners=${listeners.join(',')}`,
    `advertised.listeners=${advertised.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${protocols.join(',')}`,
    ...sasl,
    `log.dirs=${c.dataDir.replace(/\\/g, '/')}/kraft-logs`,
    `num.partitions=${c.numPartitions}`,
    'auto.create.topics.enable=true',
    // One node: every internal topic must make do with one replica.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Consumers in tests join at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms=0',
    // After a crash (kill()) the restarted broker cannot re-register until the controller
    // expires the old session: 4 s instead of the default 9 s keeps fault tests quick while
    // still tolerating GC pauses. Heartbeats must come well within the session.
    'broker.heartbeat.interval.ms=1000',
    'broker.session.timeout.ms=4000',
  ];
  await fs.writeFile(p.props, lines.join('\n') + '\n');
}

/** JAAS line for the PLAIN server side: user_<name>="<password>" per user. */
function plainJaas(users: Record<string, string>): string {
  const entries = Object.entries(users).map(([user, password]) => {
    // JAAS option names are bare tokens and values are quoted: refuse what would break either.
    if (!/^[A-Za-z0-9_.-]+$/.test(user)) throw new Error(`SASL user name not supported: ${JSON.stringify(user)}`);
    if (/["\\\r\n]/.test(password)) throw new Error(`SASL password for ${user} must not contain quotes, backslashes or newlines`);
    return `user_${user}="${password}"`;
  });
  if (entries.length === 0) throw new Error('saslPlainUsers must name at least one user');
  return `org.apache.kafka.common.security.plain.PlainLoginModule required ${entries.join(' ')};`;
}

/** First start of a data dir: give it a cluster id and a one-voter KRaft quorum. */
async function formatIfNeeded(c: BrokerConfig): Promise<void> {
  const p = paths(c.dataDir);
  if (existsSync(path.join(p.logDirs, 'meta.properties'))) return;
  const storageTool = async (args: string[]) => {
    const { code, output } = await runCollect(
      javaBin(),
      [...jvmArgs(p.logs, 256), '-cp', c.classpath, 'kafka.tools.StorageTool', ...args],
      { cwd: c.dataDir },
    );
    if (code !== 0) throw new Error(`kafka.tools.StorageTool ${args[0]} failed (exit ${code}):\n${tail(output, 30)}`);
    return output;
  };
  const clusterId = (await storageTool(['random-uuid'])).trim().split('\n').pop()!.trim();
  const scram = Object.entries(c.saslScramUsers ?? {}).flatMap(([user, password]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(user)) throw new Error(`SCRAM user name not supported: ${JSON.stringify(user)}`);
    if (/[\]\[,="\\\r\n]/.test(password)) throw new Error(`SCRAM password for ${user} must not contain [ ] , = " \\ or newlines`);
    return ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${user},password=${password}]`]);
  });
  await storageTool(['format', '--standalone', '-t', clusterId, '-c', p.props, ...scram]);
}

async function clusterIdOf(dataDir: string): Promise<string | undefined> {
  const meta = await readText(path.join(paths(dataDir).logDirs, 'meta.properties'));
  return meta ? /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim() : undefined;
}

/**
 * Ready means a real client gets metadata from *this* cluster (matching cluster id, so a
 * stranger on the port does not count) listing at least one broker: the broker appears
 * there only once it is unfenced, i.e. able to take topics and records.
 */
async function waitUntilReady(bootstrap: string, clusterId: string | undefined, exitInfo: () => string | undefined) {
  const kafka = new kafkajs.Kafka({
    clientId: 'sparkwire-broker-ready',
    brokers: [bootstrap],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    const exited = exitInfo();
    if (exited) throw new Error(`the JVM ${exited}`);
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (clusterId && cluster.clusterId !== clusterId) {
        lastError = `${bootstrap} answers for cluster ${cluster.clusterId}, expected ${clusterId}`;
      } else if (cluster.brokers.length === 0) {
        lastError = 'metadata lists no live broker yet';
      } else {
        return;
      }
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await sleep(250);
  }
  throw new Error(`not ready within ${READY_TIMEOUT_MS / 1000}s (last check: ${lastError})`);
}

/** The state the last start in this data dir recorded, if any. */
export async function readBrokerState(dataDir: string): Promise<BrokerState | undefined> {
  const text = await readText(paths(path.resolve(dataDir)).state);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as BrokerState;
  } catch {
    return undefined;
  }
}

/**
 * Whether pid is a Kafka broker JVM serving this data dir (checked through /proc, so a
 * reused pid is not mistaken for the broker). Without /proc, being alive is taken as enough.
 */
export function isBrokerProcess(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(paths(path.resolve(dataDir)).props);
  } catch {
    return !existsSync('/proc/self');
  }
}

// ---------------------------------------------------------------------------
// ProducerPerformance
// ---------------------------------------------------------------------------

export interface ProducerPerformanceOptions {
  bootstrap: string;
  topic: string;
  numRecords: number;
  recordSize: number;
  acks?: string;
  compression?: string;
  batchSize?: number;
  lingerMs?: number;
  /** Kill the tool after this long (default 5 min), e.g. when the broker is unreachable. */
  timeoutMs?: number;
  /** Called with the tool's process id once it runs, e.g. to sample its CPU from /proc. */
  onSpawn?: (pid: number) => void;
}

export interface ProducerPerformanceResult {
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  /** Everything the tool printed. */
  raw: string;
}

/**
 * Runs Kafka's own producer benchmark (kafka-producer-perf-test) unthrottled: the
 * same-machine reference for how fast this broker accepts records.
 */
export async function runProducerPerformance(opts: ProducerPerformanceOptions): Promise<ProducerPerformanceResult> {
  await checkJava();
  const { classpath } = await ensureKafka();
  const producerProps = [`bootstrap.servers=${opts.bootstrap}`];
  if (opts.acks !== undefined) producerProps.push(`acks=${opts.acks}`);
  if (opts.compression !== undefined) producerProps.push(`compression.type=${opts.compression}`);
  if (opts.batchSize !== undefined) producerProps.push(`batch.size=${opts.batchSize}`);
  if (opts.lingerMs !== undefined) producerProps.push(`linger.ms=${opts.lingerMs}`);
  const logDir = path.join(cacheDir(), `kafka-${KAFKA_VERSION}`, 'tool-logs');
  mkdirSync(logDir, { recursive: true });

  const args = [
    ...jvmArgs(logDir, 512),
    '-cp', classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic', opts.topic,
    '--num-records', String(opts.numRecords),
    '--record-size', String(opts.recordSize),
    '--throughput', '-1',
    '--producer-props', ...producerProps,
  ];
  const { code, output, timedOut } = await runCollect(javaBin(), args, { timeoutMs: opts.timeoutMs ?? 300_000, onSpawn: opts.onSpawn });
  if (timedOut) throw new Error(`ProducerPerformance did not finish within ${(opts.timeoutMs ?? 300_000) / 1000}s:\n${tail(output, 20)}`);
  if (code !== 0) throw new Error(`ProducerPerformance failed (exit ${code}):\n${tail(output, 30)}`);

  // Progress lines look the same; the final summary is the last one (it adds percentiles).
  const re = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency/g;
  const last = [...output.matchAll(re)].pop();
  if (!last) throw new Error(`ProducerPerformance printed no summary line:\n${tail(output, 30)}`);
  return {
    recordsPerSec: Number(last[2]),
    mbPerSec: Number(last[3]),
    avgLatencyMs: Number(last[4]),
    maxLatencyMs: Number(last[5]),
    raw: output,
  };
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs a command to completion, collecting stdout+stderr; never rejects. */
function runCollect(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; onSpawn?: (pid: number) => void },
): Promise<{ code: number | null; output: string; spawnError?: NodeJS.ErrnoException; timedOut?: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    // Tools run as children too: make sure they die with us.
    installExitHooks();
    liveChildren.add(child);
    let output = '';
    let timedOut = false;
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.once('error', (spawnError) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code: null, output, spawnError });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code, output, timedOut });
    });
  });
}

function freePorts(count: number): Promise<number[]> {
  // Hold all sockets open together so the OS cannot hand out the same port twice.
  const servers = Array.from({ length: count }, () => net.createServer());
  return Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve, reject) => {
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
        }),
    ),
  ).finally(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
