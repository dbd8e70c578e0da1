// The Kafka sink: acks=all with the idempotent producer, records coalesced across batches.
//
// Many small client batches arrive at once; sending each as its own produce request would
// cap throughput at one broker round trip per batch. Instead write() queues the batch and
// one send loop takes everything queued (up to maxBatchRecords) into a single produce request.
// Only one request is in flight, which also keeps the idempotent producer's per-partition
// sequence numbers in order. Each caller's promise settles with the request that carried it.
//
// No request is built that the broker must refuse: a request holds at most
// min(kafka.maxRequestBytes, the smallest topic limit less batch overhead) bytes, records
// counted in UTF-8 bytes with their framing (@sparkwire/kafka-client: limits.ts, batcher.ts).
// A request the broker still refuses for its records (a record over a limit lowered
// meanwhile, INVALID_RECORD, ...) fails only the writes it carried, with RecordsRefusedError,
// and the sink stays ready: it is not an outage. Coalesced writes are then sent one by one so
// that only the one at fault is refused.
import { RecordsRefusedError, type OutRecord, type Sink } from '@sparkwire/pipeline';
import { chunkByBytes, createKafkaClient, KafkaLimits, RECORD_OVERHEAD_BYTES, recordRequestBytes, RequestBudget, type KafkaAdmin, type KafkaClient, type KafkaLogger, type KafkaProducer, type LimitsSnapshot } from '@sparkwire/kafka-client';
import { KAFKA_SINK_DEFAULTS, type KafkaSinkConfig } from './config';
import { classify, SIZE_ERRORS } from './errors';
import { readBackKeys } from './read-back';
import { BrokerHeartbeat } from './heartbeat';

export type SinkLogger = KafkaLogger;

interface Pending {
  records: OutRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
  /** Sent in a request of its own (after a refusal of a request it shared with others). */
  solo?: boolean;
}

export interface KafkaSinkEvents {
  /** Called when reachability changes (health reporting). */
  onReadyChange?: (ready: boolean) => void;
  /** Latency of each produce request, for metrics. */
  onSend?: (records: number, ms: number) => void;
  /** A produce request refused for its records (reason: the broker's error, e.g. MESSAGE_TOO_LARGE). */
  onRefused?: (records: number, reason: string) => void;
  /** The broker's or a topic's record size limit was read and differs from what was known. */
  onLimits?: (limits: LimitsSnapshot) => void;
}

export interface KafkaSinkStats {
  requests: number;
  refusedRequests: number;
  producerResets: number;
  limits: LimitsSnapshot;
}

export class KafkaSink implements Sink {
  readonly name = 'kafka';
  private readonly kafka: KafkaClient;
  private producer: KafkaProducer;
  private readonly admin: KafkaAdmin;
  private readonly limits: KafkaLimits;
  private queue: Pending[] = [];
  private sending = false;
  private ready = false;
  private closed = false;
  private probeTimer?: NodeJS.Timeout;
  /** Readiness follows the broker while idle too (healthProbeIntervalMs). */
  private readonly heartbeat: BrokerHeartbeat;
  private limitsTimer?: NodeJS.Timeout;
  private sendLoop: Promise<void> = Promise.resolve();
  private readonly counters = { requests: 0, refusedRequests: 0, producerResets: 0 };

  constructor(
    private readonly config: KafkaSinkConfig,
    private readonly log: SinkLogger,
    private readonly events: KafkaSinkEvents = {},
  ) {
    this.kafka = createKafkaClient(config, log);
    this.producer = this.newProducer();
    this.admin = this.kafka.admin();
    this.heartbeat = new BrokerHeartbeat(config, log, (err) => {
      if (this.closed || !this.ready) return;
      this.log.warn({ err: err.message, brokers: config.brokers }, 'kafka metadata probe failed');
      this.setReady(false);
      this.scheduleProbe();
    });
    this.limits = new KafkaLimits(
      config.topics.map((t) => t.name),
      config.compression,
      log,
      (l) => events.onLimits?.(l),
    );
  }

  isReady(): boolean {
    return this.ready && !this.closed;
  }

  /**
   * Content keys of the records these topics received at or after sinceMs (the spool's
   * replay check after a crash); undefined when more than `limit` records would be read.
   */
  recentRecordKeys(topics: string[], sinceMs: number, limit: number): Promise<Set<string> | undefined> {
    return readBackKeys(this.admin, topics, sinceMs, limit);
  }

  /** The largest key + value (UTF-8 bytes) a record to `topic` may have (KafkaLimits). */
  maxRecordBytes(topic: string): number {
    return this.limits.maxRecordBytes(topic);
  }

  requestLimit(): { maxBytes: number; perRecordBytes: number } {
    return { maxBytes: this.limits.requestBytes(this.config.maxRequestBytes), perRecordBytes: RECORD_OVERHEAD_BYTES };
  }

  /** Reads the limits again unless they were read in the last 2 s (or Kafka is not reachable). */
  async refreshLimits(): Promise<void> {
    if (!this.isReady() || this.limits.ageMs < 2000) return;
    await this.limits.refresh(this.admin);
  }

  /** max.message.bytes per topic as known now (metrics). */
  topicLimits(): Record<string, number> {
    return this.limits.byTopic();
  }

  stats(): KafkaSinkStats {
    return { ...this.counters, limits: this.limits.snapshot() };
  }

  /** Never throws for an unreachable cluster: it keeps probing and reports readiness. */
  async start(): Promise<void> {
    await this.probe();
    const every = this.config.limitsRefreshMs ?? KAFKA_SINK_DEFAULTS.limitsRefreshMs;
    this.limitsTimer = setInterval(() => {
      if (this.isReady()) void this.limits.refresh(this.admin);
    }, every);
    this.limitsTimer.unref();
  }

  write(records: OutRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('sink is closed'));
    return new Promise((resolve, reject) => {
      let bytes = 0;
      for (const r of records) bytes += recordRequestBytes(r);
      this.queue.push({ records, bytes, resolve, reject });
      if (!this.sending) this.sendLoop = this.drainQueue();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.heartbeat.close();
    clearInterval(this.limitsTimer);
    await this.sendLoop;
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private newProducer(): KafkaProducer {
    return this.kafka.producer();
  }

  private async drainQueue(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        let sent = 0;
        let failed: OutRecord[] = [];
        try {
          // A group is sent in requests the broker can take (requestLimit); a single large
          // client batch may need several. Its callers hear back once all of them are acked.
          const { maxBytes, perRecordBytes } = this.requestLimit();
          for (const chunk of chunkByBytes(group, maxBytes, perRecordBytes)) {
            failed = chunk;
            const started = performance.now();
            await this.producer.send(chunk, this.config.compression);
            this.counters.requests++;
            sent += chunk.length;
            this.events.onSend?.(chunk.length, performance.now() - started);
          }
          for (const p of group) p.resolve();
        } catch (err) {
          const e = err as Error;
          const { kind, type } = classify(err);
          if (kind === 'refused') {
            await this.onRefused(group, sent, failed, e, type!);
            continue;
          }
          if (kind === 'producer') await this.resetProducer(type!);
          this.log.warn({ err: e.message, type, batches: group.length }, 'kafka produce failed; batches go back to their clients');
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

  /**
   * The broker refused a request for its records: fail only the write at fault; Kafka itself
   * is fine. `sent` records of the group (in order) were acked by earlier requests.
   */
  private async onRefused(group: Pending[], sent: number, chunk: OutRecord[], err: Error, type: string): Promise<void> {
    this.counters.refusedRequests++;
    this.events.onRefused?.(chunk.length, type);
    const sizeRefusal = SIZE_ERRORS.has(type);
    if (sizeRefusal) await this.limits.refresh(this.admin);
    // A request over several partitions may have been written on some of them: the producer's
    // sequence numbers no longer match the broker's there, so a new producer takes over.
    if (spansPartitions(chunk)) await this.resetProducer(`${type} on a request over several partitions`);
    // Writes entirely in earlier requests are done; the rest lose what is already in Kafka.
    const rest: Pending[] = [];
    let at = 0;
    for (const p of group) {
      const n = p.records.length;
      if (at + n <= sent) p.resolve();
      else {
        if (at < sent) p.records = p.records.slice(sent - at);
        rest.push(p);
      }
      at += n;
    }
    if (rest.length > 1) {
      // Several writes shared the refused request: send each on its own to find the one at fault.
      for (const p of rest) p.solo = true;
      this.queue.unshift(...rest);
      return;
    }
    const limit = sizeRefusal ? this.limits.maxRecordBytes(chunk[0]?.topic ?? '') : undefined;
    this.log.warn({ err: err.message, type, records: chunk.length, limitBytes: limit }, 'kafka refused a produce request for its records (not retried as is)');
    const refused = new RecordsRefusedError(`kafka refused the records: ${err.message} (${type})`, type, limit);
    for (const p of rest) p.reject(refused);
  }

  private async resetProducer(why: string): Promise<void> {
    this.counters.producerResets++;
    this.log.warn({ why }, 'kafka: starting a new idempotent producer');
    const old = this.producer;
    this.producer = this.newProducer();
    await old.disconnect().catch(() => undefined);
    try {
      await this.producer.connect();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'kafka: the new producer cannot connect yet');
    }
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    const budget = new RequestBudget(this.config.maxBatchRecords, this.requestLimit().maxBytes);
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (group.length > 0 && (next.solo || group[0].solo)) break;
      if (!budget.fits(next.records.length, next.bytes)) break;
      this.queue.shift();
      budget.add(next.records.length, next.bytes);
      group.push(next);
    }
    return group;
  }

  private async probe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.admin.connect();
      if (this.config.createTopics) await this.ensureTopics();
      await this.limits.refresh(this.admin);
      await this.producer.connect();
      await this.heartbeat.verify();
      this.setReady(true);
      this.heartbeat.start();
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
    await this.admin.createTopics(missing);
    this.log.info({ topics: missing.map((t) => t.name) }, 'created kafka topics');
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.log.info({ ready }, ready ? 'kafka reachable' : 'kafka unreachable');
    this.events.onReadyChange?.(ready);
  }
}

/** True when the records may go to more than one partition (several topics or keys, or no key). */
function spansPartitions(records: OutRecord[]): boolean {
  const first = records[0];
  if (!first) return false;
  for (const r of records) if (r.key === null || r.key !== first.key || r.topic !== first.topic) return true;
  return false;
}
