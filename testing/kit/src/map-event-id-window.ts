// The pipeline's event-id window as it was before session 11: a ring of ids plus a Map from id
// to slot. Simple enough to be obviously right, so the hash-table window
// (libs/pipeline/src/dedupe.ts) is tested against it as a model, and the micro-benchmark
// (testing/bench/src/event-id-window-bench.ts) measures against it.
export class MapEventIdWindow {
  private readonly slotOf = new Map<string, number>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array(Math.max(0, capacity));
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  add(id: string): void {
    if (this.capacity <= 0 || this.slotOf.has(id)) return;
    const old = this.ring[this.next];
    if (old !== undefined && this.slotOf.get(old) === this.next) this.slotOf.delete(old);
    this.ring[this.next] = id;
    this.slotOf.set(id, this.next);
    this.next = (this.next + 1) % this.capacity;
  }

  delete(id: string): void {
    this.slotOf.delete(id);
  }

  get size(): number {
    return this.slotOf.size;
  }
}
