// The Kafka sink: acks=all with the idempotent producer, records coalesced across batches.
//
// Many small client batches arrive at once; sending each as its own produce request would
// cap throughput at one broker round trip per batch. Instead write() queues the batch and
// one send loop takes everything queued (up to maxBatchRecords) into a single sendBatch.
// Only one request is in flight, which also keeps the idempotent producer's per-partition
// sequence numbers in order. Each caller's promise settles with the request that carried it.
import { CompressionTypes, Partitioners, type Admin, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { OutRecord, Sink } from '@sparkwire/pipeline';
import type { KafkaSinkConfig } from './config';
import { createKafka, type SinkLogger } from './kafka-client';
import { readBackKeys } from './read-back';

interface Pending {
  records: OutRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface KafkaSinkEvents {
  /** Called when reachability changes (health reporting). */
  onReadyChange?: (ready: boolean) => void;
  /** Latency of each produce request, for metrics. */
  onSend?: (records: number, ms: number) => void;
}

export class KafkaSink implements Sink {
  readonly name = 'kafka';
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private queue: Pending[] = [];
  private sending = false;
  private ready = false;
  private closed = false;
  private probeTimer?: NodeJS.Timeout;
  private sendLoop: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: KafkaSinkConfig,
    private readonly log: SinkLogger,
    private readonly events: KafkaSinkEvents = {},
  ) {
    this.kafka = createKafka(config, log);
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    this.admin = this.kafka.admin();
  }

  isReady(): boolean {
    return this.ready && !this.closed;
  }

  /**
   * Content keys of the records these topics received at or after sinceMs (the spool's
   * replay check after a crash); undefined when more than `limit` records would be read.
   */
  recentRecordKeys(topics: string[], sinceMs: number, limit: number): Promise<Set<string> | undefined> {
    return readBackKeys(this.kafka, this.admin, topics, sinceMs, limit);
  }

  /** Never throws for an unreachable cluster: it keeps probing and reports readiness. */
  async start(): Promise<void> {
    await this.probe();
  }

  write(records: OutRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('sink is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ records, bytes: recordBytes(records), resolve, reject });
      if (!this.sending) this.sendLoop = this.drainQueue();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.sendLoop;
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private async drainQueue(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        try {
          // A group is sent in requests of at most maxRequestBytes; a single large client
          // batch may need several. Its callers hear back once all of them are acked.
          for (const chunk of chunkByBytes(group, this.config.maxRequestBytes)) {
            const started = performance.now();
            await this.producer.sendBatch({
              topicMessages: toTopicMessages(chunk),
              acks: -1,
              compression: this.config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
            });
            this.events.onSend?.(chunk.length, performance.now() - started);
          }
          for (const p of group) p.resolve();
        } catch (err) {
          const e = err as Error;
          this.log.warn({ err: e.message, batches: group.length }, 'kafka produce failed; batches go back to their clients');
          // Later batches would meet the same broken connection: fail them now too, so
          // their clients hear UNAVAILABLE at once rather than after every retry.
          for (const p of group.concat(this.queue.splice(0))) p.reject(e);
          this.setReady(false);
          this.scheduleProbe();
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    let n = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (group.length > 0 && (n + next.records.length > this.config.maxBatchRecords || bytes + next.bytes > this.config.maxRequestBytes)) break;
      this.queue.shift();
      n += next.records.length;
      bytes += next.bytes;
      group.push(next);
    }
    return group;
  }

  private async probe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.admin.connect();
      if (this.config.createTopics) await this.ensureTopics();
      await this.producer.connect();
      this.setReady(true);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, brokers: this.config.brokers }, 'kafka not reachable; retrying');
      this.setReady(false);
      this.scheduleProbe();
    }
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, 1000);
    this.probeTimer.unref();
  }

  private async ensureTopics(): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = this.config.topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor })),
    });
    this.log.info({ topics: missing.map((t) => t.name) }, 'created kafka topics');
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.log.info({ ready }, ready ? 'kafka reachable' : 'kafka unreachable');
    this.events.onReadyChange?.(ready);
  }
}

function sizeOf(r: OutRecord): number {
  // String length undercounts multi-byte text; the cap keeps a margin below the broker's limit.
  return r.value.length + (r.key?.length ?? 0) + 64;
}

function recordBytes(records: OutRecord[]): number {
  let n = 0;
  for (const r of records) n += sizeOf(r);
  return n;
}

/** Splits the group's records, in order, into runs of at most maxBytes. */
export function chunkByBytes(group: Array<{ records: OutRecord[] }>, maxBytes: number): OutRecord[][] {
  const chunks: OutRecord[][] = [];
  let cur: OutRecord[] = [];
  let bytes = 0;
  for (const p of group) {
    for (const r of p.records) {
      const b = sizeOf(r);
      if (cur.length > 0 && bytes + b > maxBytes) {
        chunks.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(r);
      bytes += b;
    }
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

function toTopicMessages(records: OutRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let msgs = byTopic.get(r.topic);
    if (!msgs) byTopic.set(r.topic, (msgs = []));
    msgs.push({ key: r.key, value: r.value });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
