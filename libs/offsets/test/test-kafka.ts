// An in-memory KafkaOffsets for unit tests: topics with log offsets, groups with committed
// offsets and metadata, and a switch that makes every call fail as if Kafka were down.
import { unavailable } from '../src/errors';
import type { KafkaOffsets, LogOffsets, OffsetToCommit, StoredOffset } from '../src/kafka-offsets';

export class TestKafka implements KafkaOffsets {
  readonly topics = new Map<string, LogOffsets[]>();
  readonly groups = new Map<string, Map<string, { offset: bigint; metadata: string }>>();
  down = false;
  /** Commit requests that reached "Kafka" (each one carries all its partitions). */
  commitRequests: OffsetToCommit[][] = [];
  /** Delay of commit(), to widen race windows in tests. */
  commitDelayMs = 0;

  addTopic(name: string, partitions: number, high: number | bigint = 0): this {
    this.topics.set(name, Array.from({ length: partitions }, (_, partition) => ({ partition, low: 0n, high: BigInt(high) })));
    return this;
  }

  setHigh(topic: string, partition: number, high: number | bigint): void {
    this.topics.get(topic)![partition].high = BigInt(high);
  }

  offsetOf(group: string, topic: string, partition: number): bigint {
    return this.groups.get(group)?.get(`${topic}-${partition}`)?.offset ?? -1n;
  }

  private check(): void {
    if (this.down) throw unavailable('test: Kafka is down');
  }

  async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    this.check();
    return new Map(topics.filter((t) => this.topics.has(t)).map((t) => [t, this.topics.get(t)!.length]));
  }

  async logOffsets(topic: string): Promise<LogOffsets[]> {
    this.check();
    return (this.topics.get(topic) ?? []).map((p) => ({ ...p }));
  }

  async committed(group: string, topics: string[]): Promise<StoredOffset[]> {
    this.check();
    const g = this.groups.get(group);
    return topics.flatMap((topic) =>
      (this.topics.get(topic) ?? []).map((p) => {
        const s = g?.get(`${topic}-${p.partition}`);
        return { topic, partition: p.partition, offset: s?.offset ?? -1n, metadata: s?.metadata ?? null };
      }),
    );
  }

  async groupTopics(group: string): Promise<string[]> {
    this.check();
    const g = this.groups.get(group);
    if (!g) return [];
    return [...this.topics.keys()].filter((t) => [...g.keys()].some((k) => k.startsWith(`${t}-`))).sort();
  }

  async commit(group: string, offsets: OffsetToCommit[]): Promise<void> {
    this.check();
    if (this.commitDelayMs) await new Promise((r) => setTimeout(r, this.commitDelayMs));
    this.check();
    this.commitRequests.push(offsets);
    const g = this.groups.get(group) ?? new Map();
    this.groups.set(group, g);
    for (const o of offsets) g.set(`${o.topic}-${o.partition}`, { offset: o.offset, metadata: o.metadata });
  }

  async close(): Promise<void> {}
}

export const silentLog = { info() {}, warn() {}, error() {}, debug() {} };
