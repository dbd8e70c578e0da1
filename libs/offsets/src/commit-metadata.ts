// The commit record kept in Kafka itself: every partition of a commit carries, in its offset
// metadata string, which (query, batch) committed it, where the range began and how many
// ranges the commit had. That is what makes a repeated commit of the same batch
// recognisable after a sidecar restart, with no state outside Kafka.

export interface CommitMark {
  /** Query (or job) id. */
  q: string;
  /** Batch id. */
  b: number;
  /** from_offset of this partition's range. */
  f: number;
  /** Number of ranges in the commit. */
  n: number;
}

const PREFIX = 'sparkwire/1 ';

/** Kafka's offset.metadata.max.bytes defaults to 4096; stay well under it. */
export const MAX_METADATA_BYTES = 1024;

export function encodeMark(m: CommitMark): string {
  return PREFIX + JSON.stringify({ q: m.q, b: m.b, f: m.f, n: m.n });
}

/** The mark of a metadata string, or undefined when it is absent or not written by sparkwire. */
export function decodeMark(metadata: string | null | undefined): CommitMark | undefined {
  if (!metadata || !metadata.startsWith(PREFIX)) return undefined;
  try {
    const o = JSON.parse(metadata.slice(PREFIX.length)) as Partial<CommitMark>;
    if (typeof o.q !== 'string' || !Number.isSafeInteger(o.b) || !Number.isSafeInteger(o.f) || !Number.isSafeInteger(o.n)) return undefined;
    return { q: o.q, b: o.b!, f: o.f!, n: o.n! };
  } catch {
    return undefined;
  }
}
