// ListenerService over a Pipeline: Publish (one batch, publish-handler.ts) and Stream (many,
// acked in order, stream-handler.ts), sharing the limits over all calls (listener-context.ts).
import type * as grpc from '@grpc/grpc-js';
import { ListenerServiceService } from '@sparkwire/proto';
import type { ComponentLogger, Pipeline } from '@sparkwire/pipeline';
import type { TokenCheck } from './auth';
import { decodePublishRequest, type Decoded } from './decode';
import { createListenerContext } from './listener-context';
import { publishHandler } from './publish-handler';
import { streamHandler } from './stream-handler';

export type ReceiverLogger = ComponentLogger;

export interface ListenerServiceOptions {
  pipeline: Pipeline;
  auth: TokenCheck;
  log: ReceiverLogger;
  /** Batches a stream may have in flight before the server stops reading it (flow control). */
  maxInFlightPerStream: number;
  // The limits below, unset, are the server.* settings' defaults (config.ts, listener-context.ts).
  /** Bytes of batches in flight over all calls: streams stop being read beyond it, Publish gets RESOURCE_EXHAUSTED. */
  maxInFlightBytes?: number;
  /** Open streams per client_id (the first batch names it). */
  maxStreamsPerClient?: number;
  /** Open streams in total. */
  maxStreams?: number;
  /** A stream with no batch and nothing in flight for this long is ended with UNAVAILABLE. */
  idleStreamTimeoutMs?: number;
}

export interface ReceiverCounters {
  openStreams: number;
  authFailures: number;
  malformedFrames: number;
  /** Bytes of batches in flight now, and the most seen. */
  inFlightBytes?: number;
  inFlightBytesPeak?: number;
  /** Publish calls refused because maxInFlightBytes was reached. */
  busyRefusals?: number;
  /** Streams refused by maxStreams / maxStreamsPerClient. */
  streamLimitRefusals?: number;
  /** Streams ended for being idle. */
  idleStreamsClosed?: number;
}

/** The service definition with our decoder (decode.ts, with its limits) in place of the generated one. */
export function listenerServiceDefinitionWith(decode: (buf: Buffer) => Decoded): grpc.ServiceDefinition {
  return {
    publish: { ...ListenerServiceService.publish, requestDeserialize: decode },
    stream: { ...ListenerServiceService.stream, requestDeserialize: decode },
  } as unknown as grpc.ServiceDefinition;
}

/** The service definition with the default decode limits. */
export const listenerServiceDefinition = listenerServiceDefinitionWith(decodePublishRequest);

export interface ListenerServiceHandle {
  implementation: grpc.UntypedServiceImplementation;
  /** Shutdown: new batches are refused with UNAVAILABLE while in-flight ones finish. */
  startDraining(): void;
}

export function createListenerService(opts: ListenerServiceOptions, counters: ReceiverCounters): ListenerServiceHandle {
  const ctx = createListenerContext(opts, counters);
  return {
    implementation: { publish: publishHandler(ctx), stream: streamHandler(ctx) } as unknown as grpc.UntypedServiceImplementation,
    startDraining: () => {
      ctx.draining = true;
      for (const end of [...ctx.streams]) end();
    },
  };
}
