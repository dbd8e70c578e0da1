// The project's own view of a Kafka client: only what the sink, the spool and the offsets
// service need, in plain types. kafkajs is effectively unmaintained (tulios/kafkajs#1603) and
// the performance work wants to try @platformatic/kafka: a second implementation of these
// interfaces is all a swap takes, so no type of any client library appears here.
//
// Errors are the client's own, but every implementation must let the broker's error name
// (e.g. MESSAGE_TOO_LARGE, NOT_COORDINATOR) be found in `type` on the error or on one of its
// causes (`cause`, `originalError`): the sink and offsets classify failures by that name.

import type { ComponentLogger } from '@sparkwire/pipeline';

export type KafkaLogger = ComponentLogger;

/** lz4 and zstd only on the platformatic producer (zstd where node:zlib has it); the config check tells. */
export type Compression = 'none' | 'gzip' | 'lz4' | 'zstd';

/** One record to produce; the partition follows from the key (murmur2, Java client compatible), spread when null. */
export interface ProducerRecord {
  topic: string;
  key: string | null;
  value: string | Buffer;
}

export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
}

// Offsets are Kafka's int64s, as bigint: exact up to 2^63 - 1.
export interface PartitionOffsets {
  partition: number;
  /** Log-start offset: the oldest record still kept. */
  low: bigint;
  /** Log-end offset (high watermark): the offset the next record will get. */
  high: bigint;
}

export interface PartitionOffset {
  partition: number;
  offset: bigint;
}

export interface CommittedOffset {
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

/** Offsets [from, to) of one partition. */
export interface OffsetRange {
  topic: string;
  partition: number;
  from: number;
  to: number;
}

/** Where a record read back sits in its partition, and its (producer or broker) timestamp in ms. */
export interface RecordPosition {
  partition: number;
  offset: number;
  timestamp: number;
}

/** Hands over one record read back; `at` is for readers that show or order by position. */
export type OnRecord = (topic: string, key: Buffer | null, value: Buffer, at: RecordPosition) => void;

/** A consumer group's state and how many members it has (0: nobody consumes, offsets may be changed). */
export interface GroupState {
  state: string;
  members: number;
}

export type ConfigResource = 'broker' | 'topic';

/** The idempotent producer: acks=all, one request in flight (the per-partition sequence numbers stay in order), no topic auto-creation. */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** One produce request carrying every record (records of one partition form one batch); resolves once all are acked. */
  send(records: ProducerRecord[], compression: Compression): Promise<void>;
}

/** Cluster and group administration. Each call may connect on its own, but connect() first tells whether the cluster is there. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Node ids of the brokers (one Metadata request). */
  brokerIds(): Promise<number[]>;
  listTopics(): Promise<string[]>;
  /** Creates the topics and waits for their partition leaders. */
  createTopics(topics: NewTopic[]): Promise<void>;
  /** Partition count of each of these (existing) topics. */
  partitionCounts(topics: string[]): Promise<Map<string, number>>;
  /** One config value of a broker (name: its node id) or topic; undefined when the broker does not report it. */
  describeConfig(resource: ConfigResource, name: string, configName: string): Promise<string | undefined>;
  /** Log-start and log-end offsets of every partition of a topic. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Per partition, the first offset whose timestamp is >= timestampMs (the log end when there is none). */
  topicOffsetsByTimestamp(topic: string, timestampMs: number): Promise<PartitionOffset[]>;
  /** The group's committed offsets (with metadata) for every partition of the topics. */
  committedOffsets(group: string, topics: string[]): Promise<CommittedOffset[]>;
  /**
   * Reads the records of the ranges (a throwaway consumer group, nothing committed, deleted
   * afterwards) and hands each one over; rejects when not all are read within timeoutMs.
   */
  readRanges(ranges: OffsetRange[], onRecord: OnRecord, opts?: { timeoutMs?: number }): Promise<void>;
  /**
   * Reads every partition of the topics on from `from` (partitions not named start at their
   * log end) until `until` settles, as `tail --follow` does: a throwaway group, nothing committed.
   */
  follow(topics: string[], from: Array<{ topic: string; partition: number; offset: bigint }>, onRecord: OnRecord, until: Promise<void>): Promise<void>;
  groupState(group: string): Promise<GroupState>;
  /** Sets a group's committed offsets (the group must have no live members). */
  setGroupOffsets(group: string, topic: string, offsets: PartitionOffset[]): Promise<void>;
}

/**
 * The "simple" (admin) offset commit: one OffsetCommit request to the group coordinator with
 * generation -1 and no member id, as Kafka's own AdminClient.alterConsumerGroupOffsets sends.
 * It carries a metadata string per partition and needs no consumer to join the group, but the
 * group must have no live members.
 */
export interface KafkaGroupCommitter {
  /** One request carrying every offset: all or none (the broker's first partition error is thrown). */
  commit(group: string, offsets: OffsetToCommit[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * One client per connection. The producer is built on the library kafka.client names
 * (KafkaConnectionSettings.client: kafkajs, or @platformatic/kafka); admin(), readRanges and
 * groupCommitter() are on kafkajs whatever it names, for now (issue #9 moves the producer
 * first; the rest follows once @platformatic/kafka has carried the whole suite).
 */
export interface KafkaClient {
  admin(): KafkaAdmin;
  producer(): KafkaProducer;
  groupCommitter(): KafkaGroupCommitter;
}
