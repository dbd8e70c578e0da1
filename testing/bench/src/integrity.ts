// Integrity of a benchmark run: once the sidecar's spool has drained, the topic must hold
// exactly the records of the acked events, by count and by identity, nothing missing,
// nothing extra, nothing twice.
//
// An ack means "durable in the spool", not "in Kafka": the drainer may still be behind when
// the clients stop, so the topic is only checked after the spool reports 0 pending entries
// (waitForDrain). A record is identified by the event_id it carries (json: "eventId", and
// "name" to tell tasks_ended from task_metrics; protobuf: the SparkEvent's event_id) and tied
// to what the load generator sent by the bench's own event ids: `<appId>-e<counter>`, one
// counter per client (events.ts), acked batches kept as counter ranges (load.ts).
import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin } from 'kafkajs';
import { SparkEvent } from '@sparkwire/proto';
import { parseBenchEventId, type Encoding, type TemplatePool } from './events';
import { lz4js, zlibZstd } from './kafka-clients/codecs';

/** What one client sent and had acked, as the checker needs it. */
export interface ClientLedger {
  appId: string;
  /** Per template (event n uses template (n - 1) % length): the names of its records. */
  recordNames: string[][];
  /** Acked events as runs of counters. */
  ackedRanges: Array<{ first: number; count: number }>;
  /** Highest counter sent (acked or not). */
  maxCounter: number;
}

export function ledgerOf(pool: TemplatePool, ackedRanges: Array<{ first: number; count: number }>, maxCounter: number): ClientLedger {
  return { appId: pool.appId, recordNames: pool.templates.map((t) => t.recordNames), ackedRanges, maxCounter };
}

export interface IntegrityResult {
  ok: boolean;
  /** Records the acked events must have produced. */
  expectedRecords: number;
  /** Records read back from the topic (the range checked). */
  recordsRead: number;
  /** Expected records not in the topic. */
  missing: number;
  /** Records in the topic no acked event explains (unacked events, unknown ids or names). */
  unexpected: number;
  /** A record read more than once. */
  duplicates: number;
  /** Records whose event id or name could not be read. */
  unreadable: number;
  /** A few of each, for the report. */
  examples: string[];
  /** One line: "exact: ..." or what is wrong. */
  summary: string;
}

const ENC = new TextDecoder();
const NAME = Buffer.from('"name":"');
const EVENT_ID = Buffer.from('"eventId":"');

/** The string value of a top-level json field whose text is plain (event ids, record names). */
function jsonField(value: Buffer, field: Buffer): string | undefined {
  const at = value.indexOf(field);
  if (at < 0) return undefined;
  const start = at + field.length;
  const end = value.indexOf(0x22, start);
  return end < 0 ? undefined : ENC.decode(value.subarray(start, end));
}

/** The (event id, record name) of one topic record, or undefined when it has none. */
export function recordIdentity(value: Buffer, encoding: Encoding): { eventId: string; name: string } | undefined {
  if (encoding === 'json') {
    const name = jsonField(value, NAME);
    const eventId = jsonField(value, EVENT_ID);
    return name !== undefined && eventId !== undefined ? { eventId, name } : undefined;
  }
  try {
    const ev = SparkEvent.decode(value);
    return ev.eventId ? { eventId: ev.eventId, name: 'event' } : undefined;
  } catch {
    return undefined;
  }
}

interface ClientState {
  ledger: ClientLedger;
  /** Per counter, a bit per record name of its template: expected (acked), seen. */
  expected: Uint8Array;
  seen: Uint8Array;
}

/** Feed it every record of the topic (add), then ask for the verdict (result). */
export class IntegrityChecker {
  private readonly clients = new Map<string, ClientState>();
  private readonly examples: string[] = [];
  private recordsRead = 0;
  private duplicates = 0;
  private unreadable = 0;
  private unknown = 0;
  private expectedRecords = 0;

  constructor(
    ledgers: ClientLedger[],
    private readonly encoding: Encoding,
    /** Acks that did not cover their whole batch: the run cannot be checked exactly. */
    private readonly ackAnomalies: string[] = [],
  ) {
    for (const l of ledgers) {
      if (l.recordNames.some((n) => n.length > 8)) throw new Error('more than 8 records per event: widen the bit masks');
      const expected = new Uint8Array(l.maxCounter + 1);
      const seen = new Uint8Array(l.maxCounter + 1);
      for (const r of l.ackedRanges) {
        for (let n = r.first; n < r.first + r.count; n++) {
          const names = l.recordNames[(n - 1) % l.recordNames.length];
          if (expected[n] === 0) this.expectedRecords += names.length;
          expected[n] = (1 << names.length) - 1;
        }
      }
      this.clients.set(l.appId, { ledger: l, expected, seen });
    }
  }

  private example(line: string): void {
    if (this.examples.length < 10) this.examples.push(line);
  }

  add(value: Buffer | null): void {
    this.recordsRead++;
    const id = value ? recordIdentity(value, this.encoding) : undefined;
    if (!id) {
      this.unreadable++;
      this.example(`unreadable record: ${value ? JSON.stringify(value.subarray(0, 80).toString('utf8')) : 'null value'}`);
      return;
    }
    const parsed = parseBenchEventId(id.eventId);
    const c = parsed && this.clients.get(parsed.appId);
    const n = parsed?.n ?? 0;
    if (!c || n < 1 || n > c.ledger.maxCounter) {
      this.unknown++;
      this.example(`unexpected record: ${id.name} of ${id.eventId} (an event id the bench did not send)`);
      return;
    }
    const bit = c.ledger.recordNames[(n - 1) % c.ledger.recordNames.length].indexOf(id.name);
    if (bit < 0) {
      this.unknown++;
      this.example(`unexpected record: ${id.name} of ${id.eventId} (its event makes no such record)`);
      return;
    }
    if (c.seen[n] & (1 << bit)) {
      this.duplicates++;
      this.example(`duplicate: ${id.name} of ${id.eventId}`);
      return;
    }
    c.seen[n] |= 1 << bit;
  }

  result(): IntegrityResult {
    let missing = 0;
    let unacked = 0;
    for (const c of this.clients.values()) {
      const names = c.ledger.recordNames;
      for (let n = 1; n <= c.ledger.maxCounter; n++) {
        const e = c.expected[n];
        const s = c.seen[n];
        if (e === s) continue;
        const lost = e & ~s;
        const extra = s & ~e;
        if (lost) {
          missing += popcount(lost);
          const kinds = names[(n - 1) % names.length].filter((_, i) => lost & (1 << i));
          this.example(`missing: ${kinds.join(' + ')} of ${c.ledger.appId}-e${String(n).padStart(12, '0')}`);
        }
        if (extra) {
          unacked += popcount(extra);
          this.example(`unexpected record: of ${c.ledger.appId}-e${String(n).padStart(12, '0')}, an event that was not acked`);
        }
      }
    }
    const unexpected = this.unknown + unacked;
    const ok = missing === 0 && unexpected === 0 && this.duplicates === 0 && this.unreadable === 0 && this.ackAnomalies.length === 0 && this.recordsRead === this.expectedRecords;
    const problems = [
      missing ? `${missing} acked records missing` : '',
      unexpected ? `${unexpected} unexpected records` : '',
      this.duplicates ? `${this.duplicates} duplicates` : '',
      this.unreadable ? `${this.unreadable} unreadable records` : '',
      this.ackAnomalies.length ? `${this.ackAnomalies.length} acks not covering their whole batch (${this.ackAnomalies[0]})` : '',
    ].filter(Boolean);
    const summary = ok
      ? `exact: ${this.recordsRead} records, one per acked (event id, record), none missing, none extra, no duplicates`
      : `${this.recordsRead} records read, ${this.expectedRecords} expected: ${problems.join(', ') || 'count differs'}`;
    return {
      ok,
      expectedRecords: this.expectedRecords,
      recordsRead: this.recordsRead,
      missing,
      unexpected,
      duplicates: this.duplicates,
      unreadable: this.unreadable,
      examples: [...this.examples],
      summary,
    };
  }
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

// ---------------------------------------------------------------------------
// Kafka side: offsets, reading a range back
// ---------------------------------------------------------------------------

export type Offsets = Map<number, { low: number; high: number }>;

function kafkaClient(bootstrap: string) {
  registerReadCodecs();
  return new kafkajs.Kafka({ clientId: 'sparkwire-bench-check', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
}

let codecsRegistered = false;
/**
 * kafkajs reads gzip by itself; the lz4 and zstd record batches of a `--compression lz4|zstd`
 * run need codecs (decompression only: the check never produces), the ones the Kafka client
 * comparison gives kafkajs. Without them the read-back would fail on the first batch.
 */
function registerReadCodecs(): void {
  if (codecsRegistered) return;
  codecsRegistered = true;
  const lz4 = lz4js();
  if (lz4) kafkajs.CompressionCodecs[kafkajs.CompressionTypes.LZ4] = () => readOnlyCodec(lz4.decompress);
  const zstd = zlibZstd();
  if (zstd) kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD] = () => readOnlyCodec(zstd.decompress);
}

function readOnlyCodec(decompress: (b: Buffer) => Buffer) {
  return {
    compress: async (): Promise<Buffer> => {
      throw new Error('the bench reads compressed batches, it never writes them');
    },
    decompress: async (b: Buffer) => decompress(b),
  };
}

/** Low and high watermark per partition; empty when the topic does not exist. */
export async function topicOffsets(admin: Admin, topic: string): Promise<Offsets> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) return new Map();
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
}

/** Records between `since` (per partition; 0 / low when absent) and the high watermarks of `now`. */
export function recordsSince(now: Offsets, since: Offsets): number {
  let n = 0;
  for (const [p, o] of now) n += o.high - Math.max(o.low, since.get(p)?.high ?? 0);
  return n;
}

type Ranges = Map<number, { from: number; to: number }>;

/** What a record read back carries besides its value: its timestamp, and whether the broker stamped it. */
export interface RecordMeta {
  timestampMs: number;
  /** The batch's timestamp type is LogAppendTime (the topic's message.timestamp.type). */
  logAppendTime: boolean;
}
type OnRecord = (value: Buffer | null, meta: RecordMeta) => void;
/** The fields of a kafkajs message this reads (batchContext is there in 2.2.4, not in its types). */
type FetchedMessage = { offset: string; value: Buffer | null; timestamp: string; isControlRecord?: boolean; batchContext?: { timestampType?: number } };
const LOG_APPEND_TIME = 1; // kafkajs's TimestampTypes.LOG_APPEND_TIME
function metaOf(m: FetchedMessage): RecordMeta {
  return { timestampMs: Number(m.timestamp), logAppendTime: m.batchContext?.timestampType === LOG_APPEND_TIME };
}

/**
 * Reads every record of `topic` in [since (high watermark at the start; low when absent),
 * until) per partition, calling onRecord once for each (in offset order per partition).
 *
 * Plain Fetch requests to the partition leaders, no consumer group: on a fresh broker the
 * first group operation creates __consumer_offsets (50 partitions), 10 s on a loaded 2-core
 * machine, more than the smoke run's load takes. kafkajs has no public group-less consumer,
 * so this uses its internal Cluster/Broker API (kafkajs 2.2.4, unmaintained since 2023, so
 * it does not move); when that is not there, a throwaway consumer group reads it instead.
 */
export async function readTopicRange(
  bootstrap: string,
  topic: string,
  since: Offsets,
  until: Offsets,
  onRecord: OnRecord,
  timeoutMs = 120_000,
  via: 'fetch' | 'consumer group' = 'fetch',
): Promise<{ via: 'fetch' | 'consumer group' }> {
  const ranges: Ranges = new Map();
  for (const [p, o] of until) {
    const from = Math.max(o.low, since.get(p)?.high ?? 0);
    if (o.high > from) ranges.set(p, { from, to: o.high });
  }
  if (ranges.size === 0) return { via: 'fetch' };
  const kafka = kafkaClient(bootstrap);
  const create = Object.getOwnPropertySymbols(kafka).find((sym) => sym.description === 'private:Kafka:createCluster');
  if (create && via === 'fetch') {
    await readByFetch((kafka as unknown as Record<symbol, (o: object) => InternalCluster>)[create]({ allowAutoTopicCreation: false }), topic, ranges, onRecord, timeoutMs);
    return { via: 'fetch' };
  }
  await readByGroup(kafka, topic, until, ranges, onRecord, timeoutMs);
  return { via: 'consumer group' };
}

/** The parts of kafkajs's internal Cluster and Broker this uses. */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(o: { nodeId: string }): Promise<{
    fetch(o: {
      replicaId: number;
      isolationLevel: number;
      maxWaitTime: number;
      minBytes: number;
      maxBytes: number;
      topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
    }): Promise<{
      responses: Array<{
        topicName: string;
        partitions: Array<{ partition: number; errorCode: number; messages: FetchedMessage[] }>;
      }>;
    }>;
  }>;
}

async function readByFetch(cluster: InternalCluster, topic: string, ranges: Ranges, onRecord: OnRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    while (ranges.size > 0) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} back did not finish within ${timeoutMs} ms (${ranges.size} partitions left)`);
      const leaders = cluster.findLeaderForPartitions(topic, [...ranges.keys()]);
      for (const [nodeId, partitions] of Object.entries(leaders)) {
        const broker = await cluster.findBroker({ nodeId });
        const res = await broker.fetch({
          replicaId: -1,
          isolationLevel: 0, // READ_UNCOMMITTED: up to the high watermark (no transactions here)
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 32 * 1024 * 1024,
          topics: [{ topic, partitions: partitions.map((p) => ({ partition: p, fetchOffset: String(ranges.get(p)!.from), maxBytes: 4 * 1024 * 1024 })) }],
        });
        for (const t of res.responses) {
          for (const pd of t.partitions) {
            const r = ranges.get(pd.partition);
            if (!r) continue;
            if (pd.errorCode) throw new Error(`fetch ${topic}/${pd.partition} at ${r.from}: error code ${pd.errorCode}`);
            for (const m of pd.messages) {
              const off = Number(m.offset);
              // A record batch may start before the offset asked for; control records are not data.
              if (off < r.from || m.isControlRecord) continue;
              if (off >= r.to) break;
              onRecord(m.value, metaOf(m));
              r.from = off + 1;
            }
            if (pd.messages.length > 0) {
              const last = Number(pd.messages[pd.messages.length - 1].offset);
              if (last + 1 > r.from) r.from = Math.min(last + 1, r.to); // trailing control records
            }
            if (r.from >= r.to) ranges.delete(pd.partition);
          }
        }
      }
    }
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

async function readByGroup(kafka: kafkajs.Kafka, topic: string, until: Offsets, ranges: Ranges, onRecord: OnRecord, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  const groupId = `sparkwire-bench-check-${randomUUID()}`;
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...until.keys()].map((p) => ({ partition: p, offset: String(ranges.get(p)?.from ?? until.get(p)!.high) })),
    });
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 32 * 1024 * 1024 });
    let timer: NodeJS.Timeout | undefined;
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${topic} back did not finish within ${timeoutMs} ms (${ranges.size} partitions left)`)), timeoutMs);
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const r = ranges.get(batch.partition);
              if (!r) return;
              for (const m of batch.messages) {
                const off = Number(m.offset);
                if (off < r.from) continue;
                if (off >= r.to) break;
                onRecord(m.value, metaOf(m as unknown as FetchedMessage));
                r.from = off + 1;
              }
              if (r.from >= r.to || Number(batch.lastOffset()) >= r.to - 1) {
                ranges.delete(batch.partition);
                if (ranges.size === 0) resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export { kafkaClient };
