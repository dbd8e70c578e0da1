// The load: realistic task-level events (taskStart/taskEnd of a synthetic Spark
// application, with plausible metrics and a few failed attempts), pre-encoded once as
// protobuf templates. Each batch copies templates and writes a fresh, fixed-width
// counter into the event_id bytes, so every event sent is unique (the sidecar dedupes
// on event_id) while the load generator spends microseconds, not the sidecar's CPU,
// on building batches: on a 2-core machine every cycle the client burns is a cycle the
// sidecar does not get.
import { encoderFor } from '@sparkwire/encoding';
import { PublishRequest, SparkEvent } from '@sparkwire/proto';
import { syntheticApplication } from '@sparkwire/testkit';

export type Encoding = 'json' | 'protobuf';

/** Digits of the per-event counter patched into each event_id. */
export const COUNTER_DIGITS = 12;

/** The event_id of a client's n-th event (n from 1): `<appId>-e<12-digit n>`. */
export function benchEventId(appId: string, n: number): string {
  return `${appId}-e${String(n).padStart(COUNTER_DIGITS, '0')}`;
}

/** The reverse of benchEventId, or undefined for an id the bench did not make. */
export function parseBenchEventId(id: string): { appId: string; n: number } | undefined {
  const at = id.length - COUNTER_DIGITS - 2;
  if (at <= 0 || id[at] !== '-' || id[at + 1] !== 'e') return undefined;
  const digits = id.slice(at + 2);
  if (!/^[0-9]+$/.test(digits)) return undefined;
  return { appId: id.slice(0, at), n: Number(digits) };
}

export interface EventTemplate {
  /** The encoded SparkEvent (no field tag or length prefix). */
  bytes: Buffer;
  /** Where the counter digits of event_id start inside `bytes`. */
  counterOffset: number;
  /** Kafka records the sidecar produces for this event (taskEnd is 2 in json). */
  records: number;
  /** Total value bytes of those records. */
  recordBytes: number;
  /**
   * What tells those records apart (with the event_id): the json record `name` of each
   * (tasks_started; tasks_ended + task_metrics), or 'event' for the one protobuf record.
   */
  recordNames: string[];
  kind: 'taskStart' | 'taskEnd';
}

export interface TemplatePool {
  appId: string;
  templates: EventTemplate[];
  /** Means over the pool, which batches cycle through uniformly. */
  recordsPerEvent: number;
  avgRecordBytes: number;
  avgEventProtoBytes: number;
  taskEndShare: number;
}

export interface PoolOptions {
  /** Tasks per stage of the synthetic application (10 stages). */
  tasksPerStage?: number;
  /** Failed-then-retried tasks. */
  failedTasks?: number;
}

/** Task events of one synthetic application (one client = one Spark application attempt). */
export function buildTemplatePool(clientIndex: number, encoding: Encoding, opts: PoolOptions = {}): TemplatePool {
  const appId = `app-20261124120000-${String(clientIndex + 1).padStart(4, '0')}`;
  const events = syntheticApplication({
    appId,
    appName: `bench-etl-${clientIndex + 1}`,
    stagesPerJob: [4, 3, 3],
    tasksPerStage: opts.tasksPerStage ?? 200,
    executors: 8,
    sqlExecutions: 2,
    failedTasks: opts.failedTasks ?? 5,
    streamingProgress: 0,
    labels: { team: 'data-platform', pipeline: 'nightly-etl', env: 'bench' },
    // An hour ago: well inside the sidecar's accepted time range.
    startMs: Date.now() - 3_600_000,
  }).filter((e) => e.body?.$case === 'taskStart' || e.body?.$case === 'taskEnd');

  const encoder = encoderFor(encoding);
  const prefix = `${appId}-e`;
  const placeholder = '0'.repeat(COUNTER_DIGITS);
  const templates: EventTemplate[] = events.map((ev) => {
    const withId: SparkEvent = { ...ev, eventId: prefix + placeholder };
    const bytes = Buffer.from(SparkEvent.encode(withId).finish());
    const at = bytes.indexOf(Buffer.from(withId.eventId, 'utf8'));
    if (at < 0) throw new Error('event_id not found in the encoded event');
    const values = encoder.encode(withId);
    return {
      bytes,
      counterOffset: at + Buffer.byteLength(prefix),
      records: values.length,
      recordNames: values.map((v) => (encoding === 'json' ? String((JSON.parse(typeof v === 'string' ? v : v.toString('utf8')) as { name: string }).name) : 'event')),
      recordBytes: values.reduce((s, v) => s + (typeof v === 'string' ? Buffer.byteLength(v) : v.length), 0),
      kind: ev.body!.$case as 'taskStart' | 'taskEnd',
    };
  });
  const records = templates.reduce((s, t) => s + t.records, 0);
  return {
    appId,
    templates,
    recordsPerEvent: records / templates.length,
    avgRecordBytes: templates.reduce((s, t) => s + t.recordBytes, 0) / records,
    avgEventProtoBytes: templates.reduce((s, t) => s + t.bytes.length, 0) / templates.length,
    taskEndShare: templates.filter((t) => t.kind === 'taskEnd').length / templates.length,
  };
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function writeCounter(buf: Buffer, at: number, n: number): void {
  for (let i = COUNTER_DIGITS - 1; i >= 0; i--) {
    buf[at + i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

/** What one batch carries, for the counters. */
export interface BuiltBatch {
  /** A serialized sparkwire.v1.PublishRequest. */
  bytes: Buffer;
  events: number;
  records: number;
  /** The counter (event_id suffix, see benchEventId) of the batch's first event; the others follow it. */
  firstCounter: number;
}

/**
 * Builds the PublishRequests of one client: client_id (1), batch_seq (2), events (3),
 * byte-compatible with PublishRequest.encode (checked by selfCheck()).
 */
export class BatchBuilder {
  /** Event n (counter, from 1) of this builder is templates[(n - 1) % templates.length]. */
  private next = 0;
  private counter = 0;
  private readonly clientIdField: Buffer;

  constructor(
    readonly clientId: string,
    readonly pool: TemplatePool,
  ) {
    const id = Buffer.from(clientId, 'utf8');
    this.clientIdField = Buffer.concat([Buffer.from([0x0a]), varintBuffer(id.length), id]);
  }

  /** The counter of the last event built (events 1..sent exist). */
  get sent(): number {
    return this.counter;
  }

  build(batchSeq: number, size: number): BuiltBatch {
    const { templates } = this.pool;
    let total = this.clientIdField.length + 1 + varintSize(batchSeq);
    let records = 0;
    let idx = this.next;
    for (let i = 0; i < size; i++) {
      const t = templates[idx];
      total += 1 + varintSize(t.bytes.length) + t.bytes.length;
      records += t.records;
      if (++idx === templates.length) idx = 0;
    }
    const buf = Buffer.allocUnsafe(total);
    const firstCounter = this.counter + 1;
    let pos = this.clientIdField.copy(buf, 0);
    buf[pos++] = 0x10;
    pos = writeVarint(buf, pos, batchSeq);
    for (let i = 0; i < size; i++) {
      const t = templates[this.next];
      if (++this.next === templates.length) this.next = 0;
      buf[pos++] = 0x1a;
      pos = writeVarint(buf, pos, t.bytes.length);
      t.bytes.copy(buf, pos);
      writeCounter(buf, pos + t.counterOffset, ++this.counter);
      pos += t.bytes.length;
    }
    return { bytes: buf, events: size, records, firstCounter };
  }
}

function varintBuffer(n: number): Buffer {
  const b = Buffer.alloc(varintSize(n));
  writeVarint(b, 0, n);
  return b;
}

/** Decodes a built batch with the real decoder and checks ids, order and content. */
export function selfCheck(pool: TemplatePool): void {
  const builder = new BatchBuilder('self-check', pool);
  const size = Math.min(pool.templates.length + 3, 1000);
  const req = PublishRequest.decode(builder.build(300, size).bytes);
  if (req.clientId !== 'self-check' || req.batchSeq !== 300n || req.events.length !== size) {
    throw new Error(`batch encoding self-check failed: ${JSON.stringify({ clientId: req.clientId, batchSeq: String(req.batchSeq), n: req.events.length })}`);
  }
  const ids = new Set(req.events.map((e) => e.eventId));
  if (ids.size !== size) throw new Error('batch encoding self-check failed: event ids are not unique');
  const first = SparkEvent.decode(pool.templates[0].bytes);
  if (req.events[0].body?.$case !== first.body?.$case || req.events[0].appId !== pool.appId) {
    throw new Error('batch encoding self-check failed: first event differs from its template');
  }
}
