// The load generator: N gRPC clients, each one Stream (a node-client StreamSession on its
// own HTTP/2 connection, like N Spark drivers), sending pre-built batches of task events.
//   throughput phase: a bounded window of unacked batches per client, as fast as acks come.
//   latency phase:    a fixed total rate, paced on a schedule; latency from the scheduled
//                     send time to the ack (so a stalled sidecar cannot hide behind a
//                     generator that also stalled: no coordinated omission).
import * as grpc from '@grpc/grpc-js';
import { sleep, StreamSession } from '@sparkwire/testkit';
import { ListenerServiceService, type PublishAck, type PublishRequest } from '@sparkwire/proto';
import { BatchBuilder, type TemplatePool } from './events';
import type { PacedSend } from './in-kafka-latency';

/** A PublishRequest whose serialized form is already built (see events.ts). */
const ENCODED = Symbol('encoded');
type PreEncoded = PublishRequest & { [ENCODED]?: Buffer };

const streamMethod = ListenerServiceService.stream;

export class BenchClient {
  readonly builder: BatchBuilder;
  private readonly client: grpc.Client;
  session?: StreamSession;
  private seq = 0;
  eventsSent = 0;
  recordsSent = 0;
  eventsAcked = 0;
  recordsAcked = 0;
  duplicates = 0;
  errors: string[] = [];
  /**
   * The events acked (errorCode 0, every event accepted, none a duplicate), as runs of
   * event counters (BuiltBatch.firstCounter): what the topic must hold (integrity.ts).
   */
  readonly ackedRanges: Array<{ first: number; count: number }> = [];
  /** Acks that did not take the whole batch (some events not accepted, or duplicates): the bench sends none that should. */
  readonly ackAnomalies: string[] = [];
  /** Events built so far: their counters are 1..sentCounter. */
  get sentCounter(): number {
    return this.builder.sent;
  }
  /** When the first batch was sent (performance.now()), for the end-to-end rate. */
  firstSendAt?: number;

  constructor(address: string, clientId: string, pool: TemplatePool) {
    this.builder = new BatchBuilder(clientId, pool);
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // Own connection per client, as separate Spark drivers would have.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  open(): void {
    const call = this.client.makeBidiStreamRequest<PreEncoded, PublishAck>(
      streamMethod.path,
      (req) => req[ENCODED] ?? streamMethod.requestSerialize(req),
      streamMethod.responseDeserialize,
      new grpc.Metadata(),
    );
    // Every send blocked on flow control waits for 'drain' with its own listener.
    call.setMaxListeners(0);
    this.session = new StreamSession(call as unknown as grpc.ClientDuplexStream<PublishRequest, PublishAck>);
  }

  /** Set once the stream failed: this harness does not reconnect, it reports. */
  failed = false;

  /**
   * Sends the next batch; resolves with its ack and the number of events/records it
   * carried, or undefined when the stream failed (recorded in `errors`).
   */
  async send(size: number): Promise<{ ack: PublishAck; events: number; records: number; firstCounter: number } | undefined> {
    if (this.failed) return undefined;
    const batchSeq = ++this.seq;
    const b = this.builder.build(batchSeq, size);
    this.firstSendAt ??= performance.now();
    const req: PreEncoded = { clientId: this.builder.clientId, batchSeq: BigInt(batchSeq), events: [], clientStats: undefined, [ENCODED]: b.bytes };
    this.eventsSent += b.events;
    this.recordsSent += b.records;
    let ack: PublishAck;
    try {
      ack = await this.session!.send(req);
    } catch (err) {
      if (!this.failed) this.errors.push(`stream failed at batch ${batchSeq}: ${(err as Error).message}`);
      this.failed = true;
      return undefined;
    }
    if (ack.errorCode !== 0) {
      this.errors.push(`batch ${batchSeq}: error ${ack.errorCode} ${ack.errorMessage}`);
    } else {
      this.eventsAcked += ack.accepted;
      this.duplicates += ack.duplicates;
      // Duplicates are not published: only fresh events become records.
      if (ack.duplicates === 0) this.recordsAcked += b.records;
      if (ack.accepted === b.events && ack.duplicates === 0) this.ackedRanges.push({ first: b.firstCounter, count: b.events });
      else this.ackAnomalies.push(`batch ${batchSeq}: ${b.events} events, ack accepted ${ack.accepted}, duplicates ${ack.duplicates}`);
    }
    return { ack, events: b.events, records: b.records, firstCounter: b.firstCounter };
  }

  async end(): Promise<void> {
    if (this.failed) return;
    await this.session?.end();
    this.session = undefined;
  }

  close(): void {
    this.session?.cancel();
    this.client.close();
  }
}

/** Acked events per second of the phase, for a stability view. */
export class RateSeries {
  readonly perSecond: number[] = [];
  constructor(private readonly t0: number) {}
  add(at: number, n: number): void {
    const s = Math.floor((at - this.t0) / 1000);
    while (this.perSecond.length <= s) this.perSecond.push(0);
    this.perSecond[s] += n;
  }
}

export interface ThroughputOptions {
  batchSize: number;
  /** Unacked batches per client. */
  window: number;
  /** Events per client; 0 = run for warmupS + durationS. */
  eventsPerClient: number;
  warmupS: number;
  durationS: number;
  onTick?: (ackedEvents: number, elapsedS: number) => void;
}

export interface ThroughputResult {
  /** Events acked per second over the measured window. */
  eventsPerSec: number;
  recordsPerSec: number;
  /** The measured window: after warm-up, before sending stopped (fixed-count: whole run). */
  windowS: number;
  eventsSent: number;
  eventsAcked: number;
  recordsAcked: number;
  duplicates: number;
  errors: string[];
  /** Events acked in each second of the phase. */
  perSecond: number[];
  wallS: number;
  batchLatencyMs: LatencySummary;
}

/** Closed loop: each client keeps `window` batches unacked and sends a new one per ack. */
export async function throughputPhase(clients: BenchClient[], o: ThroughputOptions): Promise<ThroughputResult> {
  const t0 = performance.now();
  const series = new RateSeries(t0);
  const fixed = o.eventsPerClient > 0;
  const winStart = fixed ? 0 : o.warmupS * 1000;
  const winEnd = fixed ? Infinity : (o.warmupS + o.durationS) * 1000;
  let inWindowEvents = 0;
  let inWindowRecords = 0;
  let acked = 0;
  let lastAck = t0;
  let stop = false;
  const latencies: number[] = [];
  const timer = fixed ? undefined : setTimeout(() => (stop = true), winEnd);
  const tick = o.onTick ? setInterval(() => o.onTick!(acked, (performance.now() - t0) / 1000), 1000) : undefined;

  const lane = async (c: BenchClient, quota: { left: number }) => {
    while (!stop) {
      const size = fixed ? Math.min(o.batchSize, quota.left) : o.batchSize;
      if (size <= 0) return;
      quota.left -= size;
      const sent = performance.now();
      const r = await c.send(size);
      if (!r) return;
      const { ack, records } = r;
      const now = performance.now();
      lastAck = now;
      latencies.push(now - sent);
      if (ack.errorCode !== 0) continue;
      acked += ack.accepted;
      series.add(now, ack.accepted);
      const rel = now - t0;
      if (rel >= winStart && rel <= winEnd) {
        inWindowEvents += ack.accepted;
        inWindowRecords += records;
      }
    }
  };
  try {
    await Promise.all(
      clients.map((c) => {
        const quota = { left: fixed ? o.eventsPerClient : Infinity };
        return Promise.all(Array.from({ length: o.window }, () => lane(c, quota)));
      }),
    );
  } finally {
    clearTimeout(timer);
    clearInterval(tick);
  }
  const windowS = fixed ? (lastAck - t0) / 1000 : o.durationS;
  return {
    eventsPerSec: inWindowEvents / windowS,
    recordsPerSec: inWindowRecords / windowS,
    windowS,
    eventsSent: sum(clients, (c) => c.eventsSent),
    eventsAcked: sum(clients, (c) => c.eventsAcked),
    recordsAcked: sum(clients, (c) => c.recordsAcked),
    duplicates: sum(clients, (c) => c.duplicates),
    errors: clients.flatMap((c) => c.errors),
    perSecond: series.perSecond,
    wallS: (performance.now() - t0) / 1000,
    batchLatencyMs: summarize(latencies),
  };
}

export interface LatencyOptions {
  /** Total events per second over all clients. */
  rate: number;
  batchSize: number;
  warmupS: number;
  durationS: number;
  /** Safety cap on unacked batches per client (open loop otherwise). */
  maxUnacked: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface LatencyResult {
  targetRate: number;
  /** Events acked per second over the measured window. */
  achievedRate: number;
  latencyMs: LatencySummary;
  /** Worst delay of a send behind its schedule (generator or flow-control stall). */
  maxSendLagMs: number;
  /** Batches not sent because maxUnacked was reached (the sidecar could not keep up). */
  skippedBatches: number;
  eventsSent: number;
  eventsAcked: number;
  errors: string[];
  /** The batches of the measured window that were acked whole, with when each was due: for event -> in Kafka (in-kafka-latency.ts). */
  sends: PacedSend[];
}

/** Open loop: batches go out on a fixed schedule, whatever the acks do. */
export async function latencyPhase(clients: BenchClient[], o: LatencyOptions): Promise<LatencyResult> {
  const perClientRate = o.rate / clients.length;
  const intervalMs = (o.batchSize / perClientRate) * 1000;
  const t0 = performance.now();
  const measureFrom = t0 + o.warmupS * 1000;
  const endAt = measureFrom + o.durationS * 1000;
  const latencies: number[] = [];
  const sends: PacedSend[] = [];
  let maxLag = 0;
  let skipped = 0;
  let measuredEvents = 0;
  const sentBefore = sum(clients, (c) => c.eventsSent);
  const ackedBefore = sum(clients, (c) => c.eventsAcked);
  const errorsBefore = clients.map((c) => c.errors.length);

  await Promise.all(
    clients.map(async (c, i) => {
      // Stagger clients across the interval so batches do not all land at once.
      let due = t0 + (intervalMs * i) / clients.length;
      const pending = new Set<Promise<unknown>>();
      while (due < endAt) {
        const now = performance.now();
        if (due > now) await sleep(due - now);
        const scheduled = due;
        due += intervalMs;
        if (pending.size >= o.maxUnacked) {
          skipped++;
          continue;
        }
        maxLag = Math.max(maxLag, performance.now() - scheduled);
        if (c.failed) break;
        const p = c.send(o.batchSize).then((r) => {
          const done = performance.now();
          if (!r || r.ack.errorCode !== 0) return;
          const { ack } = r;
          if (scheduled >= measureFrom) {
            latencies.push(done - scheduled);
            if (ack.accepted === r.events && ack.duplicates === 0) sends.push({ appId: c.builder.pool.appId, first: r.firstCounter, count: r.events, atMs: performance.timeOrigin + scheduled });
          }
          // The rate actually carried: acks that arrived inside the measured window.
          if (done >= measureFrom && done <= endAt) measuredEvents += ack.accepted;
        });
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      await Promise.all(pending);
    }),
  );
  return {
    targetRate: o.rate,
    achievedRate: measuredEvents / o.durationS,
    latencyMs: summarize(latencies),
    maxSendLagMs: maxLag,
    skippedBatches: skipped,
    eventsSent: sum(clients, (c) => c.eventsSent) - sentBefore,
    eventsAcked: sum(clients, (c) => c.eventsAcked) - ackedBefore,
    errors: clients.flatMap((c, i) => c.errors.slice(errorsBefore[i])),
    sends,
  };
}

export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const s = [...values].sort((a, b) => a - b);
  // Nearest-rank percentiles.
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { count: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

function sum<T>(xs: T[], f: (x: T) => number): number {
  return xs.reduce((s, x) => s + f(x), 0);
}

