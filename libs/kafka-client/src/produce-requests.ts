// Idempotent Produce requests from records, on @platformatic/kafka's connections: records
// grouped by partition into RecordBatches (record-batch.ts), partitions by leader into one
// request each, sequence numbers per partition kept here.
//
// Everything around the batches is the library's: metadata (its cache and refresh), the
// connection pool (TLS, SASL), the request frame, the response parser and its errors (the
// same ResponseError / NetworkError / TimeoutError trees its own send() gives, which
// platformatic-errors.ts maps), the codecs. What is done here as its send() does it:
//   - Retries: kafka.retries, only when every error of the tree is retriable, after the
//     configured delay; a stale-metadata error clears the metadata first. A retry resends the
//     same batches with the same sequence numbers, so a request the broker wrote but did not
//     answer is not written twice (the broker answers a duplicate batch with its first offset).
//   - Sequence numbers advance once a leader acked its whole request.
//   - Partitions: partitioner.ts, shared with the library's send().
import { promisify } from 'node:util';
import type { ClusterMetadata, Connection, Producer } from '@platformatic/kafka';
import { loadCrc32c, type Crc32c } from './crc32c';
import type { RecordPartitioner } from './partitioner';
import { recordBatch, type BatchRecord } from './record-batch';

export type PlatformaticModule = typeof import('@platformatic/kafka');
type PltProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

/** The flexible Produce versions this writes (one request layout, v9 since Kafka 2.8). */
export const PRODUCE_VERSIONS = { min: 9, max: 11 } as const;
const PRODUCE_API_KEY = 0;
const ACKS_ALL = -1;

export interface OutgoingRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer;
}

export interface ProduceSettings {
  /** The produce request's own timeout: how long the broker waits for the replicas. */
  timeoutMs: number;
  retries: number;
  retryDelayMs(attempt: number): number;
  /** none, gzip, lz4 or zstd: the library's codec of that name. */
  compression: string;
}

/** Kafka's sequence numbers wrap to 0 after 2^31 - 1 (DefaultRecordBatch.incrementSequence). */
export function nextSequence(seq: number, count: number): number {
  return seq > 0x7fffffff - count ? count - (0x7fffffff - seq) - 1 : seq + count;
}

interface PartitionBatch {
  topic: string;
  partition: number;
  count: number;
  bytes: Buffer;
}

export class ProduceRequests {
  private readonly sequences = new Map<string, number>();
  private readonly crc32c: Crc32c;

  constructor(
    private readonly mod: PlatformaticModule,
    private readonly producer: PltProducer,
    /** The highest Produce version both this and the broker speak (PRODUCE_VERSIONS). */
    private readonly version: number,
    private readonly partitions: RecordPartitioner,
  ) {
    const lib = this.mod;
    this.crc32c = loadCrc32c((b) => lib.crc32c(b)).crc32c;
  }

  /** The Produce version to use with a broker that lists these APIs, or undefined when it speaks none of PRODUCE_VERSIONS. */
  static versionFor(apis: Array<{ apiKey: number; minVersion: number; maxVersion: number }>): number | undefined {
    const produce = apis.find((a) => a.apiKey === PRODUCE_API_KEY);
    if (!produce) return undefined;
    const v = Math.min(PRODUCE_VERSIONS.max, produce.maxVersion);
    return v >= PRODUCE_VERSIONS.min && v >= produce.minVersion ? v : undefined;
  }

  async send(records: readonly OutgoingRecord[], s: ProduceSettings): Promise<void> {
    const p = this.producer;
    const producerId = p.producerId;
    const producerEpoch = p.producerEpoch;
    if (producerId === undefined || producerEpoch === undefined) throw new Error('kafka producer: no producer id yet (connect() first)');
    const codec = s.compression === 'none' ? undefined : this.mod.compressionsAlgorithms[s.compression as keyof PlatformaticModule['compressionsAlgorithms']];
    if (s.compression !== 'none' && !codec) throw new this.mod.UnsupportedCompressionError(`Unsupported compression algorithm ${s.compression}`);
    const topics = [...new Set(records.map((r) => r.topic))];
    let metadata = await p.metadata({ topics, autocreateTopics: false });
    const batches = this.batches(records, metadata, producerId, producerEpoch, codec);
    const errors: Error[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sendByLeader(batches, metadata, s.timeoutMs);
        break;
      } catch (err) {
        errors.push(err as Error);
        const e = err as { findBy?: (k: string, v: unknown) => unknown };
        const retriable = !e.findBy?.('canRetry', false);
        if (attempt >= s.retries || !retriable) throw attempt > 0 ? new this.mod.MultipleErrors(`produce failed ${attempt + 1} times.`, errors) : err;
        await new Promise((r) => setTimeout(r, s.retryDelayMs(attempt + 1)));
        if (e.findBy?.('hasStaleMetadata', true)) p.clearMetadata();
        metadata = await p.metadata({ topics, autocreateTopics: false });
      }
    }
    for (const b of batches) {
      const k = `${b.topic}:${b.partition}`;
      this.sequences.set(k, nextSequence(this.sequences.get(k) ?? 0, b.count));
    }
  }

  /** The records as one RecordBatch per partition, in the order they came (per partition). */
  private batches(
    records: readonly OutgoingRecord[],
    metadata: ClusterMetadata,
    producerId: bigint,
    producerEpoch: number,
    codec: { bitmask: number; compressSync(b: Buffer): Buffer } | undefined,
  ): PartitionBatch[] {
    const byPartition = new Map<string, { topic: string; partition: number; records: BatchRecord[] }>();
    for (const r of records) {
      const topic = metadata.topics.get(r.topic);
      if (!topic) throw new this.mod.UserError(`Unknown topic ${r.topic}.`);
      const partition = this.partitions.partitionOf(r.topic, r.key) % topic.partitionsCount;
      const k = `${r.topic}:${partition}`;
      let group = byPartition.get(k);
      if (!group) byPartition.set(k, (group = { topic: r.topic, partition, records: [] }));
      group.records.push(r);
    }
    const now = Date.now();
    const crc32c = this.crc32c;
    const compression = codec ? { bitmask: codec.bitmask, compress: (b: Buffer) => codec.compressSync(b) } : undefined;
    const out: PartitionBatch[] = [];
    for (const [k, g] of byPartition) {
      const bytes = recordBatch(g.records, { producerId, producerEpoch, baseSequence: this.sequences.get(k) ?? 0, timestampMs: now, compression, crc32c });
      out.push({ topic: g.topic, partition: g.partition, count: g.records.length, bytes });
    }
    return out;
  }

  /** One request per partition leader, all at once; resolves when every leader acked its own. */
  private async sendByLeader(batches: PartitionBatch[], metadata: ClusterMetadata, timeoutMs: number): Promise<void> {
    const byLeader = new Map<number, PartitionBatch[]>();
    for (const b of batches) {
      const leader = metadata.topics.get(b.topic)!.partitions[b.partition].leader;
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(b);
    }
    const results = await Promise.allSettled(
      [...byLeader].map(async ([leader, list]) => {
        const broker = metadata.brokers.get(leader);
        if (!broker) throw new this.mod.NetworkError(`No broker ${leader} in the metadata (leader of ${list[0].topic}:${list[0].partition}).`, { hasStaleMetadata: true });
        const connection = await this.producer.connections.get(broker);
        await this.request(connection, list, timeoutMs);
      }),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    if (failed.length === 1) throw failed[0];
    if (failed.length > 1) throw new this.mod.MultipleErrors('Producing messages failed.', failed);
  }

  private request(connection: Connection, list: PartitionBatch[], timeoutMs: number): Promise<unknown> {
    const byTopic = new Map<string, PartitionBatch[]>();
    for (const b of list) {
      let t = byTopic.get(b.topic);
      if (!t) byTopic.set(b.topic, (t = []));
      t.push(b);
    }
    // The layout of the library's produce-v9..v11 createRequest, with our batches as the records.
    const payload = () =>
      this.mod.Writer.create()
        .appendString(null)
        .appendInt16(ACKS_ALL)
        .appendInt32(timeoutMs)
        .appendArray([...byTopic], (w, [topic, parts]) => {
          w.appendString(topic).appendArray(parts, (pw, b) => {
            pw.appendInt32(b.partition).appendUnsignedVarInt(b.bytes.length + 1).append(b.bytes);
          });
        })
        .appendTaggedFields();
    const parse = this.mod[`produceV${this.version}` as 'produceV9'].parseResponse;
    const send = promisify((cb: (err: Error | null, res?: unknown) => void) => connection.send(PRODUCE_API_KEY, this.version, payload, parse as never, true, true, cb as never));
    return send();
  }
}
