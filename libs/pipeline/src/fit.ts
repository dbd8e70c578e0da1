// Step 4b: every record of an accepted batch fits the sink's limit, decided before the ack.
//
// Kafka refuses a record batch over the topic's max.message.bytes (the broker's
// message.max.bytes unless the topic overrides it), and a record the sink cannot publish
// must never be acked. After an event is encoded, each of its records is compared with
// sink.maxRecordBytes(topic). One that is larger is made to fit by truncating the event's
// named free-text fields (SQL descriptions and plans, failure reasons and stack traces,
// observation text: never metrics, ids or times), each cut at a UTF-8 character boundary
// and ended with a marker, counted per event type and field. If it still does not fit (or
// oversize is 'refuse'), the whole batch is refused with INVALID_ARGUMENT naming the event
// index, the record's size and the limit. docs/reliability.md, "Records too large for Kafka".
import type { SparkEvent } from '@sparkwire/proto';
import { invalid } from './errors';
import type { Router } from './route';
import { recordBytes, type OutRecord, type Sink } from './sink';
import { PipelineStats } from './stats';

/** truncate: cut free-text fields to fit, refuse only if that is not enough. refuse: refuse at once. */
export type OversizePolicy = 'truncate' | 'refuse';

/**
 * The free-text fields that may be truncated, per event type: proto field name (also the
 * metric's `field` label) and the path inside the event body.
 */
export const TRUNCATABLE_FIELDS: Readonly<Record<string, ReadonlyArray<{ field: string; path: readonly string[] }>>> = {
  jobStart: [{ field: 'description', path: ['description'] }],
  jobEnd: [{ field: 'failure_reason', path: ['failureReason'] }],
  stageSubmitted: [{ field: 'stage.failure_reason', path: ['stage', 'failureReason'] }],
  stageCompleted: [{ field: 'stage.failure_reason', path: ['stage', 'failureReason'] }],
  taskEnd: [{ field: 'reason_message', path: ['reasonMessage'] }],
  executorRemoved: [{ field: 'reason', path: ['reason'] }],
  sqlExecutionStart: [
    { field: 'description', path: ['description'] },
    { field: 'details', path: ['details'] },
  ],
  sqlExecutionEnd: [{ field: 'error_message', path: ['errorMessage'] }],
  streamingQueryTerminated: [{ field: 'exception', path: ['exception'] }],
  observation: [{ field: 'text', path: ['text'] }],
  connectOperation: [
    { field: 'statement_text', path: ['statementText'] },
    { field: 'error_message', path: ['errorMessage'] },
  ],
};

/** What ends a truncated field: `<kept text>\n[... truncated by sparkwire: kept K of N bytes]`. */
export function truncationMarker(keptBytes: number, originalBytes: number): string {
  return `\n[... truncated by sparkwire: kept ${keptBytes} of ${originalBytes} bytes]`;
}
const MARKER_MAX = Buffer.byteLength(truncationMarker(2 ** 31, 2 ** 31));

export interface Truncation {
  event: SparkEvent;
  records: OutRecord[];
  /** The fields cut: field name -> original bytes. */
  fields: Record<string, number>;
}

export class RecordFitter {
  private readonly limits = new Map<string, number | undefined>();
  private limitsAt = 0;

  constructor(
    private readonly sink: Sink,
    private readonly router: Router,
    private readonly stats: PipelineStats,
    private readonly policy: OversizePolicy = 'truncate',
  ) {}

  /**
   * Checks the records records[first..] of event `index` (of a batch of `batchSize`); replaces
   * them with those of a truncated copy of the event when needed; throws INVALID_ARGUMENT
   * when they cannot be made to fit.
   */
  check(ev: SparkEvent, index: number, records: OutRecord[], first: number, batchSize: number): void {
    if (!this.sink.maxRecordBytes) return;
    const over = this.excess(records, first, records.length);
    if (!over) return;
    let cut: Truncation | undefined;
    if (this.policy === 'truncate') cut = truncateToFit(ev, this.router, (r) => this.sink.maxRecordBytes!(r.topic));
    if (cut) {
      records.splice(first, records.length - first, ...cut.records);
      const kind = ev.body?.$case ?? 'unknown';
      for (const f of Object.keys(cut.fields)) PipelineStats.add(this.stats.truncated, `${kind}:${f}`);
      return;
    }
    PipelineStats.add(this.stats.rejected, 'INVALID_ARGUMENT', batchSize);
    PipelineStats.add(this.stats.oversize, ev.body?.$case ?? 'unknown');
    const fields = (TRUNCATABLE_FIELDS[ev.body?.$case ?? ''] ?? []).map((f) => f.field);
    const why =
      this.policy === 'refuse'
        ? ' (kafka.oversizeEvents is refuse)'
        : fields.length > 0
          ? ` even with its free-text fields (${fields.join(', ')}) truncated`
          : ' and this event type has no free-text field to truncate';
    throw invalid(
      `events[${index}]`,
      `encoded as a record of ${over.bytes} bytes for topic ${over.topic}, over the largest record Kafka accepts there (${over.limit} bytes: the topic's max.message.bytes less record overhead)${why}; the batch is refused whole, nothing of it was published`,
    );
  }

  /** The sink's limit per topic, asked at most once a second (it is on the path of every record). */
  private limitOf(topic: string, now: number): number | undefined {
    if (now - this.limitsAt > 1000) {
      this.limits.clear();
      this.limitsAt = now;
    }
    if (this.limits.has(topic)) return this.limits.get(topic);
    const v = this.sink.maxRecordBytes!(topic);
    this.limits.set(topic, v);
    return v;
  }

  private excess(records: OutRecord[], from: number, to: number): { bytes: number; limit: number; topic: string } | undefined {
    let worst: { bytes: number; limit: number; topic: string } | undefined;
    const now = Date.now();
    for (let k = from; k < to; k++) {
      const r = records[k];
      const limit = this.limitOf(r.topic, now);
      if (limit === undefined || surelyFits(r, limit)) continue;
      const bytes = recordBytes(r);
      if (bytes > limit && (!worst || bytes - limit > worst.bytes - worst.limit)) worst = { bytes, limit, topic: r.topic };
    }
    return worst;
  }
}

/** Cheap test without counting UTF-8 bytes: a UTF-16 code unit is at most 3 UTF-8 bytes. */
function surelyFits(r: OutRecord, limit: number): boolean {
  const k = (r.key?.length ?? 0) * 3;
  return typeof r.value === 'string' ? r.value.length * 3 + k <= limit : r.value.length + k <= limit;
}

/**
 * A copy of the event with its free-text fields cut so that every record it encodes to fits
 * `limitOf`, or undefined when cutting them all to nothing is not enough.
 */
export function truncateToFit(ev: SparkEvent, router: Router, limitOf: (r: OutRecord) => number | undefined): Truncation | undefined {
  const kind = ev.body?.$case;
  const defs = kind ? TRUNCATABLE_FIELDS[kind] : undefined;
  if (!defs) return undefined;
  const texts = defs.map((d) => String(getPath(ev, d.path) ?? ''));
  const sizes = texts.map((t) => Buffer.byteLength(t, 'utf8'));
  if (sizes.every((n) => n === 0)) return undefined;
  const overOf = (records: OutRecord[]) => {
    let over = 0;
    for (const r of records) {
      const limit = limitOf(r);
      if (limit !== undefined) over = Math.max(over, recordBytes(r) - limit);
    }
    return over;
  };
  const initial: OutRecord[] = [];
  router.route(ev, initial);
  let need = overOf(initial);
  if (need <= 0) return { event: ev, records: initial, fields: {} };
  // Cutting n bytes of text shortens a record by at least n bytes (JSON escapes only make
  // the saving larger), less the marker; a few rounds absorb what escaping adds back.
  for (let round = 0; round < 5; round++) {
    const caps = waterline(sizes, need + defs.length * MARKER_MAX + 64);
    let out = ev;
    const fields: Record<string, number> = {};
    for (let i = 0; i < defs.length; i++) {
      if (sizes[i] <= caps[i]) continue;
      const kept = cutUtf8(texts[i], caps[i]);
      out = setPath(out, defs[i].path, kept + truncationMarker(Buffer.byteLength(kept, 'utf8'), sizes[i]));
      fields[defs[i].field] = sizes[i];
    }
    const records: OutRecord[] = [];
    router.route(out, records);
    const over = overOf(records);
    if (over <= 0) return { event: out, records, fields };
    if (caps.every((c) => c === 0)) return undefined;
    need += over + 1024;
  }
  return undefined;
}

/** Per field, the bytes to keep so that at least `need` bytes are cut, longest fields first (water-filling). */
export function waterline(sizes: number[], need: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= need) return sizes.map(() => 0);
  // The highest level c with sum(max(0, size - c)) >= need.
  const sorted = [...sizes].sort((a, b) => b - a);
  let cut = 0;
  let level = sorted[0];
  for (let i = 0; i < sorted.length; i++) {
    const next = sorted[i + 1] ?? 0;
    // Lowering the level from `level` to `next` cuts (i + 1) * (level - next) more bytes.
    const more = (i + 1) * (level - next);
    if (cut + more >= need) {
      level -= Math.ceil((need - cut) / (i + 1));
      break;
    }
    cut += more;
    level = next;
  }
  const c = Math.max(0, level);
  return sizes.map((s) => Math.min(s, c));
}

/** The longest prefix of s of at most maxBytes UTF-8 bytes that ends on a character boundary. */
export function cutUtf8(s: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return s;
  let end = maxBytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

function getPath(ev: SparkEvent, path: readonly string[]): unknown {
  let o: unknown = (ev.body as { value?: unknown } | undefined)?.value;
  for (const k of path) o = (o as Record<string, unknown> | undefined)?.[k];
  return o;
}

/** A copy of ev with the body field at `path` set, sharing everything not on the path. */
function setPath(ev: SparkEvent, path: readonly string[], value: string): SparkEvent {
  const body = ev.body as unknown as { $case: string; value: Record<string, unknown> };
  const set = (o: Record<string, unknown>, i: number): Record<string, unknown> => ({ ...o, [path[i]]: i === path.length - 1 ? value : set((o[path[i]] ?? {}) as Record<string, unknown>, i + 1) });
  return { ...ev, body: { $case: body.$case, value: set(body.value, 0) } as unknown as SparkEvent['body'] };
}
