// Stream: many batches on one call, published as they arrive and acked in the order they
// came in, with per-stream flow control, an idle timeout, and an orderly end (after the acks
// of the batches before it) on a malformed frame, a retryable refusal or shutdown.
import * as grpc from '@grpc/grpc-js';
import type { PublishAck } from '@sparkwire/proto';
import { PipelineError } from '@sparkwire/pipeline';
import type { Decoded } from './decode';
import { describePartial, limitReadAhead, partialMessage } from './grpc-internals';
import type { ListenerContext } from './listener-context';
import { refusalError, statusError, toAck, toServiceError } from './responses';

export function streamHandler(ctx: ListenerContext) {
  const { counters, opts } = ctx;
  return (call: grpc.ServerDuplexStream<Decoded, PublishAck>) => {
    const denied = ctx.refuseAuth(call.metadata);
    if (denied) {
      call.emit('error', denied);
      return;
    }
    if (counters.openStreams >= opts.maxStreams) {
      counters.streamLimitRefusals = (counters.streamLimitRefusals ?? 0) + 1;
      call.emit('error', statusError(grpc.status.RESOURCE_EXHAUSTED, `too many open streams (server.maxStreams ${opts.maxStreams}); retry later`));
      return;
    }
    counters.openStreams++;
    // Read at most one batch ahead of what is being processed (grpc-js would buffer 16).
    limitReadAhead(call);
    new ListenerStream(ctx, call).start();
  };
}

/** One open Stream call, from admission to its end. */
class ListenerStream {
  private inFlight = 0;
  private failed = false;
  private ended = false;
  // A malformed frame was read: later frames are ignored, and the stream ends with its
  // status once the batches before it are acked.
  private closing = false;
  // A batch was refused with a retryable status (sink full or unreachable): the stream ends
  // once the acks before it are out, and the client resends from that batch, in order. Until
  // then no later batch may be published: it would reach Kafka before the refused one (Spark
  // order per partition, docs/reliability.md). Set as soon as the refusal is known, not when
  // its turn in the ack order comes (that waits for the writes of the batches before it).
  private refusedRetryable = false;
  private clientId: string | undefined;
  private paused = false;
  private ackBacklog = false;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private stopWaitingForBudget: (() => void) | undefined;
  // Acks go out in the order batches came in, however publishes finish.
  private acks: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ListenerContext,
    private readonly call: grpc.ServerDuplexStream<Decoded, PublishAck>,
  ) {}

  start(): void {
    this.armIdle();
    this.ctx.streams.add(this.onDrain);
    this.call.on('data', (d: Decoded) => this.onData(d));
    this.call.on('end', () => this.onEnd());
    this.call.on('error', () => this.finish());
    this.call.on('cancelled', () => {
      if (!this.ended) {
        this.ended = true;
        this.ctx.counters.openStreams--;
        this.ctx.streams.delete(this.onDrain);
        this.release();
      }
    });
  }

  private readonly onDrain = () => {
    void this.acks.then(() => this.finish(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; resend unacked batches to the next one')));
  };

  private release(): void {
    clearTimeout(this.idleTimer);
    this.stopWaitingForBudget?.();
    this.stopWaitingForBudget = undefined;
    if (this.clientId !== undefined) this.ctx.registry.remove(this.clientId);
    this.clientId = undefined;
  }

  private finish(err?: grpc.ServiceError): void {
    if (this.ended) return;
    this.ended = true;
    this.ctx.counters.openStreams--;
    this.ctx.streams.delete(this.onDrain);
    this.release();
    if (err) this.call.emit('error', err);
    else this.call.end();
  }

  // Flow control: stop reading while this stream has its maximum of batches in flight,
  // while all streams together hold maxInFlightBytes, or while the client does not read
  // its acks. The client's window then fills and its own buffer takes the strain.
  private updateFlow(): void {
    if (this.ended) return;
    const { budget } = this.ctx;
    const overBudget = budget.over;
    const stop = this.inFlight >= this.ctx.opts.maxInFlightPerStream || overBudget || this.ackBacklog;
    if (overBudget && !this.stopWaitingForBudget) this.stopWaitingForBudget = budget.onFree(() => this.updateFlow());
    if (!overBudget && this.stopWaitingForBudget) {
      this.stopWaitingForBudget();
      this.stopWaitingForBudget = undefined;
    }
    if (stop && !this.paused) {
      this.paused = true;
      this.call.pause();
    } else if (!stop && this.paused) {
      this.paused = false;
      this.call.resume();
    }
  }

  private armIdle(): void {
    const { idleMs } = this.ctx;
    if (idleMs <= 0 || this.ended) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.ended) return;
      if (this.inFlight > 0 || this.paused || Date.now() - this.lastActivity < idleMs) return this.armIdle();
      this.ctx.counters.idleStreamsClosed = (this.ctx.counters.idleStreamsClosed ?? 0) + 1;
      this.failed = true;
      this.finish(statusError(grpc.status.UNAVAILABLE, `stream idle for ${idleMs} ms (server.idleStreamTimeoutMs); reconnect when there is something to send`));
    }, Math.max(10, this.lastActivity + idleMs - Date.now()));
    this.idleTimer.unref();
  }

  private writeAck(ack: PublishAck): void {
    if (this.failed || this.ended || this.call.write(ack) || this.ackBacklog) return;
    this.ackBacklog = true;
    this.call.once('drain', () => {
      this.ackBacklog = false;
      this.updateFlow();
    });
  }

  private endAfterAcks(err: grpc.ServiceError): void {
    this.closing = true;
    void this.acks.then(() => {
      this.failed = true;
      this.finish(err);
    });
  }

  private onData(d: Decoded): void {
    const { counters, budget, registry, opts } = this.ctx;
    const { pipeline, log } = opts;
    if (this.failed || this.closing || this.refusedRetryable) return;
    if (this.ctx.draining) {
      this.failed = true;
      return this.finish(statusError(grpc.status.UNAVAILABLE, 'sidecar is shutting down; resend unacked batches to the next one'));
    }
    if (!d.ok) {
      this.lastActivity = Date.now();
      const batch = d.batch;
      if (batch) {
        // Well-formed but over a limit: refused like any batch refused for its content,
        // acked in order with the code (the client must not resend it), the stream goes on.
        log.warn({ clientId: batch.clientId, batchSeq: batch.batchSeq, code: d.code, error: d.error }, 'batch refused');
        const ack: PublishAck = { batchSeq: batch.batchSeq, accepted: 0, duplicates: 0, taskEventsWanted: pipeline.taskEventsWanted, errorCode: d.code, errorMessage: d.error };
        this.acks = this.acks.then(() => this.writeAck(ack));
        return;
      }
      if (d.code === grpc.status.INVALID_ARGUMENT) counters.malformedFrames++;
      return this.endAfterAcks(refusalError(d));
    }
    const req = d.request;
    this.lastActivity = Date.now();
    if (this.clientId === undefined && req.clientId) {
      if (!registry.add(req.clientId)) {
        counters.streamLimitRefusals = (counters.streamLimitRefusals ?? 0) + 1;
        this.failed = true;
        return this.finish(
          statusError(grpc.status.RESOURCE_EXHAUSTED, `client ${req.clientId} already has ${registry.maxPerClient} open streams (server.maxStreamsPerClient); close one or retry later`),
        );
      }
      this.clientId = req.clientId;
    }
    budget.acquire(d.bytes);
    this.ctx.track();
    const outcome = pipeline.publish(req, d.bytes, d.rawEvents);
    void outcome
      .catch((err) => {
        if (!(err instanceof PipelineError && !err.retryable)) this.refusedRetryable = true;
      })
      .finally(() => {
        budget.release(d.bytes);
        this.ctx.track();
      });
    this.inFlight++;
    this.updateFlow();
    this.acks = this.acks.then(async () => {
      let ack: PublishAck | undefined;
      try {
        ack = toAck(await outcome);
      } catch (err) {
        if (err instanceof PipelineError && !err.retryable) {
          ack = { batchSeq: req.batchSeq, accepted: 0, duplicates: 0, taskEventsWanted: pipeline.taskEventsWanted, errorCode: err.code, errorMessage: err.message };
          log.warn({ clientId: req.clientId, batchSeq: req.batchSeq, code: err.code, error: err.message }, 'batch refused');
        } else if (!this.failed) {
          // Retryable: end the stream so the client resends from its oldest unacked batch.
          this.failed = true;
          this.finish(toServiceError(err));
        }
      }
      this.inFlight--;
      this.lastActivity = Date.now();
      if (ack) this.writeAck(ack);
      this.updateFlow();
    });
  }

  private onEnd(): void {
    if (this.closing) return;
    // Bytes of an incomplete last message: say so rather than end OK (its batch was never read).
    const partial = partialMessage(this.call);
    if (partial) {
      this.ctx.counters.malformedFrames++;
      return this.endAfterAcks(statusError(grpc.status.INVALID_ARGUMENT, `request: ${describePartial(partial)}; that batch was not read (resend it whole)`));
    }
    void this.acks.then(() => this.finish());
  }
}
