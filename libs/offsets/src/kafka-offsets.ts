// What the offsets library needs from Kafka, behind one interface, and its kafkajs
// implementation. kafkajs is effectively unmaintained (tulios/kafkajs#1603): swapping it
// means rewriting only this file.
//
// Commits are one OffsetCommit request per call, sent to the group coordinator with
// generation -1 and no member id: the "simple" (admin) commit that Kafka's own
// AdminClient.alterConsumerGroupOffsets sends. It carries a metadata string per partition
// and needs no consumer to join the group, but the group must have no live members.
// kafkajs's admin.setOffsets cannot be used: it joins the group with a consumer, takes one
// topic per call and drops the metadata.
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry } from 'kafkajs';
import { kafkajsLogLevel } from '@sparkwire/kafka-sink';
import { Code, OffsetsError, unavailable } from './errors';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Retries of one operation before UNAVAILABLE; small, so a client hears quickly. */
  retries: number;
  tls?: { enabled: boolean; caFile?: string; certFile?: string; keyFile?: string; rejectUnauthorized: boolean };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export interface OffsetsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

// Offsets are Kafka's int64s, as bigint: exact up to 2^63 - 1 (kafkajs hands them over as strings).
export interface LogOffsets {
  partition: number;
  /** Log-start offset: the oldest record still kept. */
  low: bigint;
  /** Log-end offset (high watermark): the offset the next record will get. */
  high: bigint;
}

export interface StoredOffset {
  topic: string;
  partition: number;
  /** -1 when the group has no committed offset for the partition. */
  offset: bigint;
  metadata: string | null;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string;
}

/** A Kafka offset from kafkajs's decimal string (-1 when kafkajs has none). */
function long(s: string | null | undefined): bigint {
  return s && /^-?\d+$/.test(s) ? BigInt(s) : -1n;
}

/** Kafka as the offsets library sees it. Every method throws OffsetsError (UNAVAILABLE when Kafka cannot be reached). */
export interface KafkaOffsets {
  /** Partition count of each topic that exists; absent topics are missing from the map. */
  partitionCounts(topics: string[]): Promise<Map<string, number>>;
  /** Log-start and log-end offsets of every partition of a topic. */
  logOffsets(topic: string): Promise<LogOffsets[]>;
  /** The group's committed offsets (with metadata) for every partition of the topics. */
  committed(group: string, topics: string[]): Promise<StoredOffset[]>;
  /** Topics the group has at least one committed offset for. */
  groupTopics(group: string): Promise<string[]>;
  /** One OffsetCommit request carrying every offset: all or none. */
  commit(group: string, offsets: OffsetToCommit[]): Promise<void>;
  close(): Promise<void>;
}

/** kafkajs errors that mean "the request may be retried later", not "the request is wrong". */
function toOffsetsError(err: unknown, what: string): OffsetsError {
  if (err instanceof OffsetsError) return err;
  const e = err as { type?: string; name?: string; message?: string; retriable?: boolean };
  const type = e.type ?? '';
  const detail = e.message ?? String(err);
  switch (type) {
    case 'UNKNOWN_MEMBER_ID':
    case 'ILLEGAL_GENERATION':
    case 'REBALANCE_IN_PROGRESS':
    case 'FENCED_INSTANCE_ID':
    case 'STALE_MEMBER_EPOCH':
      return new OffsetsError(
        Code.FAILED_PRECONDITION,
        `group: the group has live members (${type}), so ${what} was refused; a group sparkwire commits to must not be consumed with (use another group.id for the consumer, or Assign without a group)`,
        'group',
      );
    case 'OFFSET_METADATA_TOO_LARGE':
      return new OffsetsError(Code.INVALID_ARGUMENT, `${what}: offset metadata too large for the broker (offset.metadata.max.bytes): use a shorter query_id`, 'query_id');
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      return new OffsetsError(Code.NOT_FOUND, `${what}: unknown topic or partition (${detail})`);
    case 'GROUP_AUTHORIZATION_FAILED':
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
      return new OffsetsError(Code.PERMISSION_DENIED, `${what}: ${type} (grant the sidecar's Kafka principal Read on the group and Describe on the topics)`);
    case 'INVALID_GROUP_ID':
      return new OffsetsError(Code.INVALID_ARGUMENT, `group: Kafka refused the group id (${detail})`, 'group');
    default:
      return unavailable(`${what}: Kafka is not reachable or not ready (${detail}); retry later`);
  }
}

/** Group coordinator moving or loading (a fresh cluster creates __consumer_offsets on first use): retried briefly. */
const COORDINATOR_BUSY = new Set(['NOT_COORDINATOR', 'NOT_COORDINATOR_FOR_GROUP', 'COORDINATOR_NOT_AVAILABLE', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'GROUP_LOAD_IN_PROGRESS']);
const COORDINATOR_RETRY_MS = 10_000;

async function retryBusyCoordinator<T>(fn: () => Promise<T>): Promise<T> {
  const end = Date.now() + COORDINATOR_RETRY_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await fn();
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (!COORDINATOR_BUSY.has(type) || Date.now() + delay > end) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

type Cluster = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<{
    offsetCommit(args: { groupId: string; groupGenerationId: number; memberId: string; topics: { topic: string; partitions: { partition: number; offset: string; metadata: string }[] }[] }): Promise<{
      responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
    }>;
  }>;
};

export function createKafkaOffsets(conn: KafkaConnection, log: OffsetsLogger): KafkaOffsets {
  const config: KafkaConfig = {
    clientId: conn.clientId,
    brokers: conn.brokers,
    connectionTimeout: conn.connectTimeoutMs,
    requestTimeout: conn.requestTimeoutMs,
    retry: { retries: conn.retries, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry: LogEntry) => {
      const { message, broker, error } = entry.log as { message: string; broker?: string; error?: string };
      const fields = { component: 'kafkajs', namespace: entry.namespace, broker, error };
      // A fresh cluster's coordinator loading and the like: kafkajs retries them (debug, not warn).
      if (kafkajsLogLevel(entry, 'warn') === 'debug') log.debug?.(fields, message);
      else log.warn(fields, message);
    },
  };
  if (conn.tls?.enabled) {
    config.ssl = {
      rejectUnauthorized: conn.tls.rejectUnauthorized,
      ca: conn.tls.caFile ? [readFileSync(conn.tls.caFile, 'utf8')] : undefined,
      cert: conn.tls.certFile ? readFileSync(conn.tls.certFile, 'utf8') : undefined,
      key: conn.tls.keyFile ? readFileSync(conn.tls.keyFile, 'utf8') : undefined,
    };
  }
  if (conn.sasl) config.sasl = { ...conn.sasl } as KafkaConfig['sasl'];
  const kafka = new Kafka(config);
  const admin: Admin = kafka.admin({ retry: config.retry });
  // The commit goes through kafkajs's cluster (not exported): the Kafka client's own factory,
  // so it shares the brokers, TLS and SASL settings above.
  const createCluster = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!createCluster) throw new Error('kafkajs internals changed: private:Kafka:createCluster not found (offsets commit needs it)');
  const cluster = (kafka as unknown as Record<symbol, (o: object) => Cluster>)[createCluster]({ metadataMaxAge: 60_000, allowAutoTopicCreation: false });

  let adminConnected: Promise<void> | undefined;
  let clusterConnected: Promise<void> | undefined;
  const withAdmin = async <T>(what: string, fn: (a: Admin) => Promise<T>): Promise<T> => {
    try {
      adminConnected ??= admin.connect().catch((err) => {
        adminConnected = undefined;
        throw err;
      });
      await adminConnected;
      return await retryBusyCoordinator(() => fn(admin));
    } catch (err) {
      throw toOffsetsError(err, what);
    }
  };

  const partitionCounts = async (topics: string[]): Promise<Map<string, number>> =>
    withAdmin('topic metadata', async (a) => {
      const existing = new Set(await a.listTopics());
      const wanted = [...new Set(topics)].filter((t) => existing.has(t));
      const out = new Map<string, number>();
      if (wanted.length === 0) return out;
      const md = await a.fetchTopicMetadata({ topics: wanted });
      for (const t of md.topics) out.set(t.name, t.partitions.length);
      return out;
    });

  const committed = (group: string, topics: string[]): Promise<StoredOffset[]> =>
    withAdmin('fetch committed offsets', async (a) => {
      if (topics.length === 0) return [];
      const res = await a.fetchOffsets({ groupId: group, topics });
      return res.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: long(p.offset), metadata: p.metadata ?? null })),
      );
    });

  return {
    partitionCounts,
    logOffsets: (topic) =>
      withAdmin(`log offsets of ${topic}`, async (a) => {
        const res = await a.fetchTopicOffsets(topic);
        return res.map((p) => ({ partition: p.partition, low: long(p.low), high: long(p.high) })).sort((x, y) => x.partition - y.partition);
      }),
    committed,
    groupTopics: (group) =>
      withAdmin('topics of the group', async (a) => {
        const topics = (await a.listTopics()).filter((t) => !t.startsWith('__'));
        if (topics.length === 0) return [];
        const res = await a.fetchOffsets({ groupId: group, topics });
        return res.filter((t) => t.partitions.some((p) => long(p.offset) >= 0n)).map((t) => t.topic).sort();
      }),
    async commit(group, offsets) {
      if (offsets.length === 0) return;
      const byTopic = new Map<string, { partition: number; offset: string; metadata: string }[]>();
      for (const o of offsets) {
        const list = byTopic.get(o.topic) ?? [];
        list.push({ partition: o.partition, offset: String(o.offset), metadata: o.metadata });
        byTopic.set(o.topic, list);
      }
      try {
        clusterConnected ??= cluster.connect().catch((err) => {
          clusterConnected = undefined;
          throw err;
        });
        await clusterConnected;
        await retryBusyCoordinator(async () => {
          const coordinator = await cluster.findGroupCoordinator({ groupId: group });
          // kafkajs throws for the first partition error in the response. A coordinator
          // error fails the request as a whole: nothing was written, so it is retried.
          await coordinator.offsetCommit({
            groupId: group,
            groupGenerationId: -1,
            memberId: '',
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          });
        });
      } catch (err) {
        throw toOffsetsError(err, `commit to group ${group}`);
      }
    },
    async close() {
      await Promise.allSettled([admin.disconnect(), cluster.disconnect()]);
    },
  };
}
