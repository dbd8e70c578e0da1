// Serializes work per consumer group inside the sidecar, so a commit's read (fencing check)
// and write never interleave with another commit to the same group. Groups are independent.
export class GroupMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs fn once every earlier run for the same group has settled. */
  run<T>(group: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(group) ?? Promise.resolve();
    const result = prev.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(group, tail);
    void tail.then(() => {
      if (this.tails.get(group) === tail) this.tails.delete(group);
    });
    return result;
  }

  /** Groups with work queued or running (for tests). */
  get busy(): number {
    return this.tails.size;
  }
}
