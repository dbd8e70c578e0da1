// One event-log line as JSON, with Spark's longs exact: JSON.parse turns integers above 2^53
// into rounded doubles (a stage's summed executorCpuTime in ns can pass it), so integers of
// 16 or more digits outside strings are quoted first and read back as bigint by long().
const BIG_INT = /"(?:[^"\\]|\\.)*"|(-?\d{16,})(?![.\deE])/g;

export type Json = Record<string, any>;

export function parseLine(line: string): Json {
  const text = /\d{16}/.test(line) ? line.replace(BIG_INT, (m, digits?: string) => (digits ? `"${digits}"` : m)) : line;
  const v = JSON.parse(text);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError('not a JSON object');
  return v as Json;
}

/** An int64 of the log (a number, or the quoted digits of a large one); 0n when absent. */
export function long(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  return 0n;
}

/** An int32 of the log; 0 when absent. */
export function int(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return 0;
}

/** A double of the log: Jackson writes NaN and infinities as strings. */
export function dbl(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isNaN(n) && v !== 'NaN' ? 0 : n;
  }
  return 0;
}

export function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}
