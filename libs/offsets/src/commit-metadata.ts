// The commit record kept in Kafka itself: every partition of a commit carries, in its offset
// metadata string, which (query, batch) committed it, where the range began and how many
// ranges the commit had. That is what makes a repeated commit of the same batch
// recognisable after a sidecar restart, with no state outside Kafka.
import { parseJson } from '@sparkwire/encoding';

export interface CommitMark {
  /** Query (or job) id. */
  q: string;
  /** Batch id (int64, exact). */
  b: bigint;
  /** from_offset of this partition's range (int64, exact). */
  f: bigint;
  /** Number of ranges in the commit. */
  n: number;
}

const PREFIX = 'sparkwire/1 ';

/** Kafka's offset.metadata.max.bytes defaults to 4096; stay well under it. */
export const MAX_METADATA_BYTES = 1024;

/** The JSON text JSON.stringify({ q, b, f, n }) gives, with b and f as exact integers. */
export function encodeMark(m: CommitMark): string {
  return `${PREFIX}{"q":${JSON.stringify(m.q)},"b":${m.b},"f":${m.f},"n":${m.n}}`;
}

/** The mark of a metadata string, or undefined when it is absent or not written by sparkwire. */
export function decodeMark(metadata: string | null | undefined): CommitMark | undefined {
  if (!metadata || !metadata.startsWith(PREFIX)) return undefined;
  try {
    // parseJson: b and f above 2^53 come back exact (as bigint), smaller ones as numbers.
    const o = parseJson(metadata.slice(PREFIX.length)) as Record<string, unknown>;
    const long = (v: unknown) => (typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v as number) : undefined);
    const b = long(o?.b);
    const f = long(o?.f);
    if (typeof o?.q !== 'string' || b === undefined || f === undefined || !Number.isSafeInteger(o.n)) return undefined;
    return { q: o.q, b, f, n: o.n as number };
  } catch {
    return undefined;
  }
}
