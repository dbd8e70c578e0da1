// The sidecar's own health, read at collection time from the counters the pipeline,
// receiver, sink and trace builder already keep (nothing is counted twice), plus the Kafka
// produce latency recorded as it happens.
import type { Attributes, BatchObservableResult, Counter, Histogram, Meter, ObservableCounter, ObservableGauge } from '@opentelemetry/api';
import type { PipelineStats } from '@sparkwire/pipeline';
import { SIDECAR_METRICS as M } from './catalog';
import { counter, histogram, observableCounter, observableGauge } from './instruments';
import {
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_KAFKA,
  RPC_SYSTEM_VALUE_GRPC,
} from './semconv';

/** What the trace builder reports (structurally: otel-metrics does not depend on otel-traces). */
export interface TraceStatsView {
  apps: number;
  openSpans: Record<string, number>;
  spansEmitted: Record<string, number>;
  closedEarly: Record<string, number>;
  tasksSampledOut: number;
  export: { exported: number; failed: number };
}

export interface SidecarSources {
  stats?: PipelineStats;
  /** Names of the pipeline's observers: their error counters start at 0. */
  observerNames?: string[];
  receiver?: () => { openStreams: number; authFailures: number; malformedFrames: number } | undefined;
  sink?: { name: string; isReady(): boolean };
  /** The durable spool (Kafka sink): depth and the drainer's state. */
  spool?: () => SpoolView | undefined;
  /** max.message.bytes per topic as the Kafka sink knows it. */
  kafkaLimits?: () => Record<string, number>;
  traces?: () => TraceStatsView | undefined;
}

export interface SpoolView {
  bytes: number;
  pendingEntries: number;
  oldestPendingMs: number;
  publishFailures: number;
  /** One of DRAINER_STATES. */
  drainer: string;
  /** Records set aside by this process, bytes in the store now. */
  deadLetter?: { records: number; bytes: number };
}

const DRAINER_STATES = ['idle', 'draining', 'reading_back', 'waiting_for_kafka', 'backing_off', 'stopped'];

const KAFKA_SEND: Attributes = {
  [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_KAFKA,
  [ATTR_MESSAGING_OPERATION_NAME]: 'send',
  [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
};
const STREAM_RPC: Attributes = { [ATTR_RPC_SYSTEM]: RPC_SYSTEM_VALUE_GRPC, [ATTR_RPC_SERVICE]: 'sparkwire.v1.ListenerService', [ATTR_RPC_METHOD]: 'Stream' };

/** taskEnd -> task_end: event types as the proto names them. */
function snake(kind: string): string {
  return kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** SparkEvent.body cases (events.proto): every one is reported, at 0 until it happens, so rates work from the start. */
const EVENT_KINDS = [
  'applicationStart', 'applicationEnd', 'jobStart', 'jobEnd', 'stageSubmitted', 'stageCompleted', 'taskStart', 'taskEnd',
  'executorAdded', 'executorRemoved', 'sqlExecutionStart', 'sqlExecutionEnd', 'streamingQueryStarted', 'streamingProgress',
  'streamingQueryTerminated', 'observation', 'connectOperation', 'connectSession',
];
const REJECT_STATUSES = ['INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE'];

/** The map's values, with every known key present (0 when absent). */
function withBaseline(map: Map<string, number>, keys: string[]): Iterable<[string, number]> {
  const out = new Map<string, number>(keys.map((k) => [k, 0]));
  for (const [k, v] of map) out.set(k, v);
  return out;
}

export class SidecarMetrics {
  private readonly sources: SidecarSources = {};
  private readonly kafkaDuration: Histogram;
  private readonly kafkaSent: Counter;

  constructor(meter: Meter) {
    this.kafkaDuration = histogram(meter, M.kafkaDuration);
    this.kafkaSent = counter(meter, M.kafkaSent);
    this.register(meter);
  }

  /** Adds or replaces sources (the receiver exists only once the pipeline does). */
  bind(sources: SidecarSources): void {
    Object.assign(this.sources, sources);
  }

  /** KafkaSinkEvents.onSend: one produce request of `records` records took `ms`. */
  recordKafkaSend(records: number, ms: number): void {
    this.kafkaDuration.record(ms / 1000, KAFKA_SEND);
    this.kafkaSent.add(records, KAFKA_SEND);
  }

  private register(meter: Meter): void {
    const oc = (info: (typeof M)[keyof typeof M]): ObservableCounter => observableCounter(meter, info);
    const og = (info: (typeof M)[keyof typeof M]): ObservableGauge => observableGauge(meter, info);
    const received = oc(M.eventsReceived);
    const published = oc(M.eventsPublished);
    const duplicates = oc(M.eventsDuplicate);
    const filtered = oc(M.eventsFiltered);
    const rejected = oc(M.eventsRejected);
    const batches = oc(M.batchesPublished);
    const reusedSeq = oc(M.batchesReusedSeq);
    const records = oc(M.recordsWritten);
    const inflight = og(M.inflightBatches);
    const openStreams = og(M.openStreams);
    const authFailures = oc(M.authFailures);
    const malformed = oc(M.malformedFrames);
    const reporting = og(M.clientsReporting);
    const clientDropped = oc(M.clientDropped);
    const sparkDropped = oc(M.sparkDropped);
    const skipped = oc(M.clientTaskSkipped);
    const observerErrors = oc(M.observerErrors);
    const sinkReady = og(M.sinkReady);
    const traceApps = og(M.traceApps);
    const traceOpen = og(M.traceOpenSpans);
    const traceSpans = oc(M.traceSpans);
    const traceClosed = oc(M.traceClosedEarly);
    const traceSampled = oc(M.traceSampledOut);
    const traceExported = oc(M.traceExported);
    const rss = og(M.residentMemory);
    const heap = og(M.heapUsed);
    const spoolBytes = og(M.spoolBytes);
    const spoolPending = og(M.spoolPending);
    const spoolOldest = og(M.spoolOldest);
    const spoolDrainer = og(M.spoolDrainer);
    const spoolFailures = oc(M.spoolPublishFailures);
    const deadLettered = oc(M.spoolDeadLettered);
    const deadLetterBytes = og(M.spoolDeadLetterBytes);
    const truncated = oc(M.eventsTruncated);
    const oversize = oc(M.eventsOversize);
    const kafkaLimit = og(M.kafkaMaxMessageBytes);

    meter.addBatchObservableCallback(
      (r: BatchObservableResult) => {
        const s = this.sources.stats;
        if (s) {
          for (const [k, v] of withBaseline(s.received, EVENT_KINDS)) r.observe(received, v, { event_type: snake(k) });
          for (const [k, v] of withBaseline(s.published, EVENT_KINDS)) r.observe(published, v, { event_type: snake(k) });
          for (const [k, v] of withBaseline(s.duplicates, [...EVENT_KINDS, 'batch_resend'])) r.observe(duplicates, v, { event_type: snake(k) });
          for (const [k, v] of withBaseline(s.filtered, ['taskStart', 'taskEnd'])) r.observe(filtered, v, { event_type: snake(k) });
          for (const [k, v] of withBaseline(s.rejected, REJECT_STATUSES)) r.observe(rejected, v, { status: k });
          for (const [k, v] of withBaseline(s.observerErrors, this.sources.observerNames ?? [])) r.observe(observerErrors, v, { observer: k });
          r.observe(batches, s.batches);
          r.observe(reusedSeq, s.reusedBatchSeq ?? 0);
          for (const [k, v] of s.truncated ?? []) {
            const [kind, field] = k.split(':');
            r.observe(truncated, v, { event_type: snake(kind), field });
          }
          for (const [k, v] of s.oversize ?? []) r.observe(oversize, v, { event_type: snake(k) });
          r.observe(records, s.recordsWritten);
          r.observe(inflight, s.inFlightBatches);
          // Client counters are cumulative per client; summed per kind of client.
          const byKind = new Map<string, { n: number; full: number; unavailable: number; spark: number; skipped: number }>();
          for (const c of s.clients.values()) {
            const kind = c.clientKind || 'unknown';
            const t = byKind.get(kind) ?? { n: 0, full: 0, unavailable: 0, spark: 0, skipped: 0 };
            t.n++;
            t.full += c.droppedBufferFull;
            t.unavailable += c.droppedSidecarUnavailable;
            t.spark += c.sparkDroppedEvents;
            t.skipped += c.taskEventsSkipped;
            byKind.set(kind, t);
          }
          for (const [kind, t] of byKind) {
            r.observe(reporting, t.n, { client_kind: kind });
            r.observe(clientDropped, t.full, { client_kind: kind, reason: 'buffer_full' });
            r.observe(clientDropped, t.unavailable, { client_kind: kind, reason: 'sidecar_unavailable' });
            r.observe(sparkDropped, t.spark, { client_kind: kind });
            r.observe(skipped, t.skipped, { client_kind: kind });
          }
        }
        const rc = this.sources.receiver?.();
        if (rc) {
          r.observe(openStreams, rc.openStreams, STREAM_RPC);
          r.observe(authFailures, rc.authFailures);
          r.observe(malformed, rc.malformedFrames);
        }
        const sink = this.sources.sink;
        if (sink) r.observe(sinkReady, sink.isReady() ? 1 : 0, { sink: sink.name });
        const t = this.sources.traces?.();
        if (t) {
          r.observe(traceApps, t.apps);
          for (const [k, v] of Object.entries(t.openSpans)) r.observe(traceOpen, v, { span_kind: k });
          for (const [k, v] of Object.entries(t.spansEmitted)) r.observe(traceSpans, v, { span_kind: k });
          for (const [k, v] of Object.entries(t.closedEarly)) r.observe(traceClosed, v, { reason: k });
          r.observe(traceSampled, t.tasksSampledOut);
          r.observe(traceExported, t.export.exported, { result: 'ok' });
          r.observe(traceExported, t.export.failed, { result: 'failed' });
        }
        for (const [topic, v] of Object.entries(this.sources.kafkaLimits?.() ?? {})) r.observe(kafkaLimit, v, { topic });
        const sp = this.sources.spool?.();
        if (sp) {
          r.observe(spoolBytes, sp.bytes);
          r.observe(spoolPending, sp.pendingEntries);
          r.observe(spoolOldest, sp.oldestPendingMs / 1000);
          for (const st of DRAINER_STATES) r.observe(spoolDrainer, st === sp.drainer ? 1 : 0, { state: st });
          r.observe(spoolFailures, sp.publishFailures);
          r.observe(deadLettered, sp.deadLetter?.records ?? 0);
          r.observe(deadLetterBytes, sp.deadLetter?.bytes ?? 0);
        }
        const mem = process.memoryUsage();
        r.observe(rss, mem.rss);
        r.observe(heap, mem.heapUsed);
      },
      [received, published, duplicates, filtered, rejected, batches, reusedSeq, records, inflight, openStreams, authFailures, malformed, reporting, clientDropped, sparkDropped, skipped, observerErrors, sinkReady, traceApps, traceOpen, traceSpans, traceClosed, traceSampled, traceExported, rss, heap, spoolBytes, spoolPending, spoolOldest, spoolDrainer, spoolFailures, deadLettered, deadLetterBytes, truncated, oversize, kafkaLimit],
    );
  }
}
