// KafkaProducer on @platformatic/kafka (kafka.client: platformatic, the default): the same
// contract as producer.ts (idempotent, acks=all, one request in flight, no topic
// auto-creation), about half of kafkajs's CPU per record (docs/benchmarks.md, "Kafka client
// comparison").
//
// Where it differs from the kafkajs producer, and why:
//   - The producer is built non-idempotent and every send() asks for idempotence itself: built
//     idempotent, @platformatic/kafka replaces retries <= 1 with Number.MAX_SAFE_INTEGER, which
//     would make kafka.retries 0 or 1 retry forever. The effect on the wire is the same
//     (InitProducerId once, sequence numbers per partition, acks=all); maxInflights=1 is set here.
//   - Partitions: Java's murmur2 for keyed records (its compatibilityPartitioner, the same
//     partitions as kafkajs and the Java client), round robin per topic for records without a key
//     (its compatibilityPartitioner would put them all on partition 0).
//   - Retries: kafka.retries with the same exponential backoff as kafkajs (ClientTuning). A
//     connection that times out or a request without an answer within kafka.requestTimeoutMs is
//     not retried by @platformatic/kafka (it marks timeouts non-retriable): send() and connect()
//     then fail after one timeout where kafkajs retries, which only makes them fail sooner.
//   - disconnect() closes the sockets gracefully and destroys them if that takes longer than
//     CLOSE_GRACE_MS (a broker that stopped reading would otherwise hold it).
//   - Compression: none, gzip (node:zlib), lz4 (its wasm codec), zstd (node:zlib, where the
//     runtime has it: Node 22.15+; the config check refuses it elsewhere).
//   - The Produce requests themselves are built by produce-requests.ts and record-batch.ts on
//     the library's connections, metadata, codecs and response parser, not by its send(): its
//     per-record work was most of the producer's CPU (docs/benchmarks.md, "Produce requests built by
//     the sidecar").
//     Brokers without Produce v9 (before Kafka 2.8) get the library's send().
//   - @platformatic/kafka is loaded when a producer is built, not with this module: with
//     kafka.client kafkajs it is never loaded (its wasm codecs are read from a file next to
//     @platformatic/wasm-utils at import; a bundle must provide it or alias the package's
//     ./bundled entry, which inlines them).
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import type { MessageToProduce, Producer, ProducerOptions, SASLMechanismValue } from '@platformatic/kafka';
import type { ClientTuning } from './connection';
import { SINK_TUNING } from './connection';
import type { Compression, KafkaLogger, KafkaProducer, ProducerRecord } from './client';
import type { KafkaConnectionSettings, KafkaSasl } from './config';
import { fromPlatformatic } from './platformatic-errors';
import { RecordPartitioner } from './partitioner';
import { ProduceRequests, type OutgoingRecord, type PlatformaticModule } from './produce-requests';

type Msg = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
type Options = ProducerOptions<Buffer, Buffer, Buffer, Buffer>;

/** How long disconnect() waits for the sockets to close before it destroys them. */
export const CLOSE_GRACE_MS = 1000;

/** Whether this runtime's node:zlib has zstd (Node 22.15+ / 23.8+), which kafka.compression zstd needs. */
export function zstdAvailable(): boolean {
  return typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
}

const SASL: Record<KafkaSasl['mechanism'], SASLMechanismValue> = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' };

/** kafkajs's retry delay: initial * 2^(attempt-1), at most max, randomized by +-20%. */
export function retryDelayMs(tuning: ClientTuning, attempt: number): number {
  const base = Math.min(tuning.retryMaxMs, tuning.retryInitialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The connection settings as @platformatic/kafka's client options (TLS PEM files read here, at start). */
export function platformaticOptions(conn: KafkaConnectionSettings, tuning: ClientTuning = SINK_TUNING): Options {
  const o: Options = {
    clientId: conn.clientId,
    bootstrapBrokers: conn.brokers,
    connectTimeout: conn.connectTimeoutMs,
    requestTimeout: conn.requestTimeoutMs,
    // The produce request's own timeout (how long the broker waits for the replicas): kafkajs's 30 s, under the request timeout.
    timeout: Math.min(30_000, conn.requestTimeoutMs),
    retries: conn.retries,
    retryDelay: (_client, _op, attempt) => retryDelayMs(tuning, attempt),
    maxInflights: 1,
    acks: -1,
    idempotent: false,
    autocreateTopics: false,
    repeatOnStaleMetadata: true,
  };
  if (conn.tls?.enabled) {
    o.tls = {
      rejectUnauthorized: conn.tls.rejectUnauthorized,
      ca: conn.tls.caFile ? [readFileSync(conn.tls.caFile, 'utf8')] : undefined,
      cert: conn.tls.certFile ? readFileSync(conn.tls.certFile, 'utf8') : undefined,
      key: conn.tls.keyFile ? readFileSync(conn.tls.keyFile, 'utf8') : undefined,
    };
    // SNI with the broker's host name, as kafkajs (node:tls) sends it.
    o.tlsServerName = true;
  }
  if (conn.sasl) o.sasl = { mechanism: SASL[conn.sasl.mechanism], username: conn.sasl.username, password: conn.sasl.password };
  return o;
}

type PltProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

export function platformaticProducer(conn: KafkaConnectionSettings, log: KafkaLogger, tuning: ClientTuning = SINK_TUNING): KafkaProducer {
  const options = platformaticOptions(conn, tuning);
  let created: Promise<PltProducer> | undefined;
  let producer: PltProducer | undefined;
  let library: PlatformaticModule | undefined;
  let partitions: RecordPartitioner | undefined;
  const get = (): Promise<PltProducer> =>
    (created ??= import('@platformatic/kafka').then((mod) => {
      library = mod;
      partitions = new RecordPartitioner((key) => mod.compatibilityPartitioner(undefined as never, key));
      const partitioner = (message: Msg, key: Buffer | undefined): number => partitions!.partitionOf(message.topic, key);
      const p: PltProducer = new mod.Producer<Buffer, Buffer, Buffer, Buffer>({ ...options, partitioner });
      p.on('client:broker:failed', (ev: { broker?: { host: string; port: number } }) => {
        log.debug?.({ component: 'platformatic-kafka', broker: ev?.broker ? `${ev.broker.host}:${ev.broker.port}` : undefined }, 'connection to a broker failed');
      });
      producer = p;
      return p;
    }, (err: Error) => {
      // E.g. a bundle without @platformatic/wasm-utils' native.wasm: say what, and try again next time.
      created = undefined;
      throw new Error(`kafka.client platformatic: @platformatic/kafka does not load: ${err.message}`, { cause: err });
    }));
  // Start loading now (the sink builds its producer first, then connects its admin and reads
  // the limits): the import is several times kafkajs's (1.6 s against 0.3 s on a loaded 2-core
  // machine) and would otherwise all delay the first connect(), and so a (re)started sidecar's
  // listening. A failure is reported by connect() or send().
  get().catch(() => undefined);
  let initialized = false;
  let sending = false;
  // Produce requests built here (produce-requests.ts) when the broker speaks Produce v9+
  // (Kafka 2.8 and newer); the library's own send() otherwise. Chosen once per producer, so
  // one set of sequence numbers is ever used.
  let requests: ProduceRequests | undefined;
  let closing: Promise<void> | undefined;
  // ApiVersions and InitProducerId on a bootstrap broker, as kafkajs's connect() does for an
  // idempotent producer; then which path sends (above).
  const initialize = async (p: PltProducer): Promise<void> => {
    await p.initIdempotentProducer({});
    const version = ProduceRequests.versionFor(await p.listApis());
    if (version !== undefined) requests = new ProduceRequests(library!, p, version, partitions!);
    initialized = true;
  };

  return {
    async connect() {
      if (closing) throw new Error('kafka producer: connect() after disconnect()');
      const p = await get();
      try {
        if (!initialized) {
          await initialize(p);
        } else {
          await p.metadata({ topics: [], forceUpdate: true });
        }
      } catch (err) {
        throw fromPlatformatic(err, 'kafka producer connect failed');
      }
    },

    disconnect() {
      closing ??= (async () => {
        // Never created (or still loading): nothing is open.
        const p = producer ?? (created ? await created.catch(() => undefined) : undefined);
        if (!p) return;
        let timer: NodeJS.Timeout | undefined;
        const closed = p.close().then(
          () => true,
          () => false,
        );
        const graceful = await Promise.race([closed, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), CLOSE_GRACE_MS)))]);
        clearTimeout(timer);
        if (!graceful) {
          for (const [, connection] of p.connections) connection.socket?.destroy();
        }
      })();
      return closing;
    },

    async send(records: ProducerRecord[], compression: Compression) {
      if (records.length === 0) return;
      if (closing) throw new Error('kafka producer is disconnected');
      // The per-partition sequence numbers advance when a response comes back: two open sends would reuse one.
      if (sending) throw new Error('kafka producer: one send() at a time');
      if (compression === 'zstd' && !zstdAvailable()) throw new Error(`kafka.compression zstd needs node:zlib zstd (Node 22.15+); this is Node ${process.versions.node}`);
      sending = true;
      try {
        const messages: OutgoingRecord[] = new Array(records.length);
        // Records of one application share their key (kafka-sink's key: appId): one Buffer for a
        // run of equal keys, which the partitioner then hashes once.
        let lastKey: string | undefined;
        let lastKeyBytes: Buffer | null = null;
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          let key: Buffer | null = null;
          if (r.key !== null) {
            if (r.key !== lastKey) {
              lastKey = r.key;
              lastKeyBytes = Buffer.from(r.key);
            }
            key = lastKeyBytes;
          }
          messages[i] = { topic: r.topic, key, value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value };
        }
        const p = producer ?? (await get());
        // A send before any connect() succeeded initializes first: the library's send() would
        // otherwise start sequence numbers of its own that a later connect() does not know.
        if (!initialized) await initialize(p);
        if (requests) {
          await requests.send(messages, { timeoutMs: options.timeout!, retries: conn.retries, retryDelayMs: (attempt) => retryDelayMs(tuning, attempt), compression });
        } else {
          const msgs: Msg[] = messages.map((m) => ({ topic: m.topic, key: m.key ?? undefined, value: m.value }));
          await p.send({ messages: msgs, idempotent: true, acks: -1, compression, autocreateTopics: false });
        }
      } catch (err) {
        throw fromPlatformatic(err, 'kafka produce failed');
      } finally {
        sending = false;
      }
    },
  };
}
