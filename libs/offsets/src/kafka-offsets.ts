// What the offsets library needs from Kafka, behind one interface, on the project's Kafka
// client (@sparkwire/kafka-client): that library holds the connection settings, the client
// library itself and the simple (admin) OffsetCommit; here are the offsets service's
// timings, its error statuses and the short retry while a group coordinator moves.
//
// Commits are one OffsetCommit request per call, sent to the group coordinator with
// generation -1 and no member id (KafkaGroupCommitter): it carries a metadata string per
// partition and needs no consumer to join the group, but the group must have no live members.
import { createKafkaClient, type ClientTuning, type CommittedOffset, type KafkaConnectionSettings, type KafkaLogger, type OffsetToCommit as ClientOffsetToCommit, type PartitionOffsets } from '@sparkwire/kafka-client';
import { Code, OffsetsError, unavailable } from './errors';

/** The connection settings (retries of one operation before UNAVAILABLE: small, so a client hears quickly). */
export type KafkaConnection = KafkaConnectionSettings;

export type OffsetsLogger = KafkaLogger;

export type LogOffsets = PartitionOffsets;

export type StoredOffset = CommittedOffset;

export type OffsetToCommit = ClientOffsetToCommit;

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

/** Kafka errors (by the broker's error name) that mean "the request may be retried later", not "the request is wrong". */
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

/** Short backoff, and kafkajs's lines at warn at most: the service answers gRPC clients. */
const OFFSETS_TUNING: ClientTuning = { retryInitialMs: 100, retryMaxMs: 1000, minLevel: 'error', logAs: 'warn' };

export function createKafkaOffsets(conn: KafkaConnection, log: OffsetsLogger): KafkaOffsets {
  const client = createKafkaClient(conn, log, OFFSETS_TUNING);
  const admin = client.admin();
  const committer = client.groupCommitter();

  let adminConnected: Promise<void> | undefined;
  const withAdmin = async <T>(what: string, fn: (a: typeof admin) => Promise<T>): Promise<T> => {
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
      if (wanted.length === 0) return new Map<string, number>();
      return a.partitionCounts(wanted);
    });

  const committed = (group: string, topics: string[]): Promise<StoredOffset[]> =>
    withAdmin('fetch committed offsets', async (a) => {
      if (topics.length === 0) return [];
      return a.committedOffsets(group, topics);
    });

  return {
    partitionCounts,
    logOffsets: (topic) =>
      withAdmin(`log offsets of ${topic}`, async (a) => {
        const res = await a.topicOffsets(topic);
        return res.sort((x, y) => x.partition - y.partition);
      }),
    committed,
    groupTopics: (group) =>
      withAdmin('topics of the group', async (a) => {
        const topics = (await a.listTopics()).filter((t) => !t.startsWith('__'));
        if (topics.length === 0) return [];
        const res = await a.committedOffsets(group, topics);
        return [...new Set(res.filter((p) => p.offset >= 0n).map((p) => p.topic))].sort();
      }),
    async commit(group, offsets) {
      if (offsets.length === 0) return;
      try {
        // A coordinator error fails the request as a whole: nothing was written, so it is retried.
        await retryBusyCoordinator(() => committer.commit(group, offsets));
      } catch (err) {
        throw toOffsetsError(err, `commit to group ${group}`);
      }
    },
    async close() {
      await Promise.allSettled([admin.disconnect(), committer.disconnect()]);
    },
  };
}
