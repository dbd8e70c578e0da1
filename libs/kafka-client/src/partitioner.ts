// Which partition a record goes to, the same whichever path sends it: Java's murmur2 for
// keyed records (the partitions of kafkajs and the Java client), round robin per topic for
// records without a key. The caller takes it modulo the topic's partition count.
export class RecordPartitioner {
  private readonly roundRobin = new Map<string, number>();
  private hashedKey: Buffer | undefined;
  private hash = 0;

  /** `murmur2`: the key's positive murmur2 hash (the library's compatibilityPartitioner). */
  constructor(private readonly murmur2: (key: Buffer) => number) {}

  partitionOf(topic: string, key: Buffer | null | undefined): number {
    if (key) {
      // murmur2 in JavaScript was 5% of the sidecar's profile: records of one application share
      // one key Buffer (the producer makes one per run of equal keys), hashed once per run.
      if (key !== this.hashedKey) {
        this.hash = this.murmur2(key);
        this.hashedKey = key;
      }
      return this.hash;
    }
    const n = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, (n + 1) & 0x7fffffff);
    return n;
  }
}
