// A Sink for unit tests of code above the sink: records what it was given, can be told
// to fail or to hold writes until released. Integration tests use the real sinks.
import type { OutRecord, Sink } from '@sparkwire/pipeline';

export class MemorySink implements Sink {
  readonly name = 'memory';
  readonly records: OutRecord[] = [];
  writes = 0;
  ready = true;
  failWith?: Error;
  private held: Array<() => void> = [];
  hold = false;

  async start(): Promise<void> {}
  isReady(): boolean {
    return this.ready;
  }
  async write(records: OutRecord[]): Promise<void> {
    this.writes++;
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    if (this.failWith) throw this.failWith;
    this.records.push(...records);
  }
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
  async close(): Promise<void> {}
}
