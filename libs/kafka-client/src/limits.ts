// What the broker accepts, and how big a request and a record may therefore be.
//
// Kafka checks each record batch (one per partition per produce request) against the
// topic's max.message.bytes, which is the broker's message.max.bytes unless the topic
// overrides it (1,048,588 bytes by default). kafkajs puts all the records of one partition
// in one produce request into one batch, and with key = appId one request may put all of its
// records into one partition. So:
//
//   one request      sum over its records of (key + value + RECORD_OVERHEAD_BYTES)
//                    <= min(kafka.maxRequestBytes, smallest limit - BATCH_OVERHEAD_BYTES - compression margin)
//   one record       key + value <= limit(topic) - BATCH_OVERHEAD_BYTES - RECORD_OVERHEAD_BYTES - margin
//
// Sizes are UTF-8 bytes. The limits are read with describeConfigs at start, every
// kafka.limitsRefreshMs, and at once after the broker refused a record for its size. Until
// they are read (Kafka not reachable yet, or DescribeConfigs not allowed), Kafka's default
// is assumed.
import type { ComponentLogger } from '@sparkwire/pipeline';
import type { Compression, ConfigResource, KafkaAdmin } from './client';

/** Kafka's default message.max.bytes / max.message.bytes. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** A v2 record batch header, including the log overhead (base offset and length). */
export const BATCH_OVERHEAD_BYTES = 61;
/**
 * Upper bound of one record's framing in a v2 batch besides key and value: length (varint,
 * <= 5), attributes (1), timestamp delta (varlong, <= 10), offset delta (<= 5), key and value
 * lengths (<= 5 each), header count (1).
 */
export const RECORD_OVERHEAD_BYTES = 32;

export type LimitsLogger = Pick<ComponentLogger, 'info' | 'warn'>;

/**
 * Compression can make incompressible data slightly larger: room for that. gzip: deflate's
 * stored blocks (5 bytes per 16 KiB) and its header; lz4: the block
 * bound n/255 + 16 and the frame header and end mark; zstd: ZSTD_compressBound, n/256 + 64.
 */
export function compressionMargin(limit: number, compression: Compression): number {
  switch (compression) {
    case 'gzip':
      return Math.ceil(limit / 2048) + 64;
    case 'lz4':
      return Math.ceil(limit / 255) + 64;
    case 'zstd':
      return Math.ceil(limit / 256) + 128;
    default:
      return 0;
  }
}

export interface LimitsSnapshot {
  /** message.max.bytes of the brokers (the smallest), when read. */
  brokerMaxMessageBytes?: number;
  /** max.message.bytes per topic, when read. */
  topics: Record<string, number>;
  /** When they were last read (ms since the epoch), 0 = never. */
  readAtMs: number;
  lastError?: string;
}

export class KafkaLimits {
  private broker?: number;
  private readonly topics = new Map<string, number>();
  /** Topics whose limit matters: the configured ones and every one written to. */
  private readonly wanted = new Set<string>();
  private readAtMs = 0;
  private lastError?: string;
  private refreshing?: Promise<void>;
  private warnedUnreadable = false;

  constructor(
    topics: string[],
    private readonly compression: Compression,
    private readonly log: LimitsLogger,
    private readonly onChange?: (snapshot: LimitsSnapshot) => void,
  ) {
    for (const t of topics) this.wanted.add(t);
  }

  /** The topic's max.message.bytes as far as known (the broker's, else Kafka's default, until read). */
  maxMessageBytes(topic: string): number {
    return this.topics.get(topic) ?? this.broker ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** The largest key + value (UTF-8 bytes) one record to `topic` may have. */
  maxRecordBytes(topic: string): number {
    if (!this.wanted.has(topic)) this.wanted.add(topic);
    const limit = this.maxMessageBytes(topic);
    return limit - BATCH_OVERHEAD_BYTES - RECORD_OVERHEAD_BYTES - compressionMargin(limit, this.compression);
  }

  /** The byte budget of one produce request (records counted as key + value + RECORD_OVERHEAD_BYTES). */
  requestBytes(maxRequestBytes: number): number {
    let smallest = this.broker ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    for (const t of this.wanted) smallest = Math.min(smallest, this.maxMessageBytes(t));
    return Math.max(1, Math.min(maxRequestBytes, smallest - BATCH_OVERHEAD_BYTES - compressionMargin(smallest, this.compression)));
  }

  /** max.message.bytes of every topic that matters (configured or written to), as known now. */
  byTopic(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.wanted) out[t] = this.maxMessageBytes(t);
    return out;
  }

  snapshot(): LimitsSnapshot {
    return { brokerMaxMessageBytes: this.broker, topics: Object.fromEntries(this.topics), readAtMs: this.readAtMs, lastError: this.lastError };
  }

  get ageMs(): number {
    return this.readAtMs === 0 ? Infinity : Date.now() - this.readAtMs;
  }

  /** Reads the limits (one refresh at a time; concurrent callers share it). Never throws. */
  refresh(admin: KafkaAdmin): Promise<void> {
    this.refreshing ??= this.read(admin).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async read(admin: KafkaAdmin): Promise<void> {
    const before = JSON.stringify([this.broker, [...this.topics]]);
    try {
      const ids = await admin.brokerIds();
      let broker: number | undefined;
      for (const id of ids) {
        const v = await describeOne(admin, 'broker', String(id), 'message.max.bytes');
        if (v !== undefined) broker = Math.min(broker ?? Infinity, v);
      }
      if (broker !== undefined) this.broker = broker;
      const existing = new Set(await admin.listTopics());
      for (const t of this.wanted) {
        if (!existing.has(t)) {
          this.topics.delete(t);
          continue;
        }
        const v = await describeOne(admin, 'topic', t, 'max.message.bytes');
        if (v !== undefined) this.topics.set(t, v);
      }
      this.readAtMs = Date.now();
      this.lastError = undefined;
      this.warnedUnreadable = false;
    } catch (err) {
      this.lastError = (err as Error).message;
      if (!this.warnedUnreadable) {
        this.warnedUnreadable = true;
        this.log.warn(
          { err: this.lastError, assumedMaxMessageBytes: this.broker ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES },
          'kafka: cannot read message.max.bytes / max.message.bytes (DescribeConfigs); assuming the last known or default limit',
        );
      }
      return;
    }
    const after = JSON.stringify([this.broker, [...this.topics]]);
    if (after !== before) {
      const snap = this.snapshot();
      this.log.info({ brokerMaxMessageBytes: snap.brokerMaxMessageBytes, topics: snap.topics }, 'kafka record size limits');
      this.onChange?.(snap);
    }
  }
}

async function describeOne(admin: KafkaAdmin, type: ConfigResource, name: string, config: string): Promise<number | undefined> {
  const value = await admin.describeConfig(type, name, config);
  const v = value !== undefined ? Number(value) : NaN;
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}
