// The load generator: its own process, one client with the Spark clients' delivery logic.
//
// Like the JVM listener's sender: batches stay in an unacked list until the sidecar acks
// them; when the stream fails it reconnects with backoff and resends every unacked batch
// unchanged (same client_id, batch_seq and event ids), in order. New batches are made at
// a fixed rate into a bounded buffer; when the buffer is full, making batches waits (the
// client's buffer takes the strain; nothing is dropped, so every event is accounted for).
//
// Every acked batch_seq is appended to ackFile as it arrives, so the harness knows what
// was acked even if this process is killed. Progress and a final summary go to stdout as
// JSON lines.
//
//   node --import tsx src/loadgen.ts '<json options>'
import { appendFileSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ListenerServiceClient, type PublishAck, type PublishRequest, type SparkEvent } from '@sparkwire/proto';
import { syntheticApplication } from '@sparkwire/testkit';

export interface LoadgenOptions {
  address: string;
  clientId: string;
  /** Event ids are `${prefix}-${n}`, n from 1. */
  prefix: string;
  appId: string;
  /** Events per second (0: as fast as the window allows). */
  rate: number;
  batchSize: number;
  /** Events in total (a multiple of batchSize). */
  total: number;
  /** Batches sent and not yet acked, at most. */
  window: number;
  /** Batches made but not yet sent, at most (then making waits). */
  buffer: number;
  ackFile: string;
  token?: string;
  tls?: { caFile: string; certFile?: string; keyFile?: string };
  /** Give up waiting for the last acks after this long once everything is made. */
  finishTimeoutMs?: number;
}

interface Batch {
  seq: number;
  req: PublishRequest;
  sends: number;
}

/** The events of batch `seq` (1-based): deterministic, so the harness can rebuild them. */
export function batchEvents(o: Pick<LoadgenOptions, 'prefix' | 'appId' | 'batchSize'>, seq: number, template: SparkEvent[]): SparkEvent[] {
  const out: SparkEvent[] = [];
  for (let i = 0; i < o.batchSize; i++) {
    const n = (seq - 1) * o.batchSize + i + 1;
    const t = template[(n - 1) % template.length];
    out.push({ ...t, eventId: `${o.prefix}-${n}`, appId: o.appId });
  }
  return out;
}

/** The event shapes cycled through: a small synthetic application, stage and task events. */
export function templateEvents(appId: string): SparkEvent[] {
  return syntheticApplication({ appId, appName: 'fault-injection', stagesPerJob: [3, 2], tasksPerStage: 40, executors: 2, sqlExecutions: 1, failedTasks: 1, streamingProgress: 2, startMs: Date.now() - 3_600_000 });
}

async function main(o: LoadgenOptions): Promise<void> {
  const template = templateEvents(o.appId);
  const totalBatches = Math.ceil(o.total / o.batchSize);
  const started = Date.now();
  const creds = o.tls
    ? grpc.credentials.createSsl(readFileSync(o.tls.caFile), o.tls.keyFile ? readFileSync(o.tls.keyFile) : null, o.tls.certFile ? readFileSync(o.tls.certFile) : null)
    : grpc.credentials.createInsecure();
  const client = new ListenerServiceClient(o.address, creds, { 'grpc.max_send_message_length': 64 * 1024 * 1024, 'grpc.ssl_target_name_override': 'localhost', 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 });
  const md = new grpc.Metadata();
  if (o.token) md.set('authorization', `Bearer ${o.token}`);

  const unacked: Batch[] = [];
  const made: Batch[] = [];
  let nextSeq = 1;
  let acked = 0;
  let ackedEvents = 0;
  let refused = 0;
  let resent = 0;
  let reconnects = 0;
  let maxUnacked = 0;
  const errors: Record<string, number> = {};
  let stream: grpc.ClientDuplexStream<PublishRequest, PublishAck> | undefined;
  let sentOnStream = 0;
  let backoff = 100;
  let connected = false;
  let done = false;

  const summary = (reason: string) => ({
    type: 'summary',
    reason,
    generatedEvents: (nextSeq - 1) * o.batchSize,
    ackedBatches: acked,
    ackedEvents,
    refusedBatches: refused,
    unackedBatches: unacked.length + made.length,
    resentBatches: resent,
    reconnects,
    maxUnacked,
    errors,
    durationMs: Date.now() - started,
  });
  const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  process.on('SIGTERM', () => {
    out(summary('SIGTERM'));
    process.exit(0);
  });

  // Making batches at the rate, into the bounded buffer.
  const perTick = o.rate > 0 ? (o.rate / o.batchSize) * 0.02 : Infinity;
  let credit = 0;
  const maker = setInterval(() => {
    credit = Math.min(credit + perTick, o.buffer);
    while (credit >= 1 && made.length < o.buffer && nextSeq <= totalBatches) {
      credit -= 1;
      const seq = nextSeq++;
      made.push({ seq, sends: 0, req: { clientId: o.clientId, batchSeq: BigInt(seq), events: batchEvents(o, seq, template), clientStats: undefined } });
    }
    if (nextSeq > totalBatches) clearInterval(maker);
    pump();
  }, 20);

  const progress = setInterval(() => out({ type: 'progress', ackedEvents, ackedBatches: acked, made: nextSeq - 1, unacked: unacked.length, buffered: made.length, connected, errors }), 1000);

  function pump(): void {
    if (!stream) return;
    // Resends first (batches this stream has not carried), then new ones within the window.
    while (sentOnStream < unacked.length) write(unacked[sentOnStream++]);
    while (unacked.length < o.window && made.length > 0) {
      const b = made.shift()!;
      unacked.push(b);
      sentOnStream++;
      write(b);
    }
    maxUnacked = Math.max(maxUnacked, unacked.length);
    if (!done && nextSeq > totalBatches && made.length === 0 && unacked.length === 0) finish('complete');
  }

  function write(b: Batch): void {
    b.sends++;
    if (b.sends > 1) resent++;
    stream!.write(b.req);
  }

  function connect(): void {
    if (done) return;
    const call = client.stream(md);
    stream = call;
    sentOnStream = 0;
    let failed = false;
    const fail = (code: string) => {
      if (failed) return;
      failed = true;
      connected = false;
      errors[code] = (errors[code] ?? 0) + 1;
      if (stream === call) stream = undefined;
      call.cancel();
      reconnects++;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 1000);
    };
    call.on('data', (ack: PublishAck) => {
      connected = true;
      backoff = 100;
      const i = unacked.findIndex((b) => BigInt(b.seq) === ack.batchSeq);
      if (i < 0) return;
      const [b] = unacked.splice(i, 1);
      if (i < sentOnStream) sentOnStream--;
      if (ack.errorCode !== 0) {
        refused++;
        errors[`ack:${ack.errorCode}`] = (errors[`ack:${ack.errorCode}`] ?? 0) + 1;
      } else {
        acked++;
        ackedEvents += b.req.events.length;
        appendFileSync(o.ackFile, `${b.seq}\n`);
      }
      pump();
    });
    call.on('error', (e: grpc.ServiceError) => fail(grpc.status[e.code] ?? String(e.code)));
    call.on('end', () => fail('END'));
    pump();
  }

  function finish(reason: string): void {
    done = true;
    clearInterval(maker);
    clearInterval(progress);
    stream?.end();
    out(summary(reason));
    client.close();
    setTimeout(() => process.exit(0), 50);
  }

  connect();
  // Once everything is made, wait at most finishTimeoutMs for the last acks.
  const watchdog = setInterval(() => {
    if (nextSeq > totalBatches && made.length === 0 && Date.now() - started > (o.finishTimeoutMs ?? 600_000)) finish('timeout');
  }, 500);
  watchdog.unref();
}

if (import.meta.url === `file://${process.argv[1]}`) void main(JSON.parse(process.argv[2]) as LoadgenOptions);
