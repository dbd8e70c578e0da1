// What the Publish and Stream handlers of one ListenerService share: the options, the
// counters, the limits over all calls, the open streams (for shutdown) and the auth check.
import * as grpc from '@grpc/grpc-js';
import { RECEIVER_DEFAULTS } from './config';
import { InFlightBudget, StreamRegistry } from './limits';
import type { ListenerServiceOptions, ReceiverCounters } from './listener-service';
import { statusError } from './responses';

type ServerLimit = 'maxInFlightBytes' | 'maxStreamsPerClient' | 'maxStreams' | 'idleStreamTimeoutMs';

/** The options with every server.* limit set: those left unset have the schema's default. */
export type ResolvedListenerOptions = ListenerServiceOptions & Required<Pick<ListenerServiceOptions, ServerLimit>>;

export interface ListenerContext {
  readonly opts: ResolvedListenerOptions;
  readonly counters: ReceiverCounters;
  readonly budget: InFlightBudget;
  readonly registry: StreamRegistry;
  readonly idleMs: number;
  /** Open streams, so shutdown can end each once its in-flight batches are acked. */
  readonly streams: Set<() => void>;
  /** Shutdown has begun: new batches are refused with UNAVAILABLE. */
  draining: boolean;
  /** Copies the byte budget's figures to the counters. */
  track(): void;
  /** The UNAUTHENTICATED status for a call whose token is missing or not accepted (counted). */
  refuseAuth(md: grpc.Metadata): grpc.ServiceError | undefined;
}

// A service built without the configuration (tests, embedding programs) gets the limits a
// sidecar started without settings has, not a second set of defaults.
const serverDefaults = RECEIVER_DEFAULTS;

export function resolveListenerOptions(given: ListenerServiceOptions): ResolvedListenerOptions {
  return {
    ...given,
    maxInFlightBytes: given.maxInFlightBytes ?? serverDefaults.maxInFlightBytes,
    maxStreamsPerClient: given.maxStreamsPerClient ?? serverDefaults.maxStreamsPerClient,
    maxStreams: given.maxStreams ?? serverDefaults.maxStreams,
    idleStreamTimeoutMs: given.idleStreamTimeoutMs ?? serverDefaults.idleStreamTimeoutMs,
  };
}

export function createListenerContext(given: ListenerServiceOptions, counters: ReceiverCounters): ListenerContext {
  const opts = resolveListenerOptions(given);
  const budget = new InFlightBudget(opts.maxInFlightBytes);
  return {
    opts,
    counters,
    budget,
    registry: new StreamRegistry(opts.maxStreamsPerClient),
    idleMs: opts.idleStreamTimeoutMs,
    streams: new Set(),
    draining: false,
    track: () => {
      counters.inFlightBytes = budget.used;
      counters.inFlightBytesPeak = budget.peak;
    },
    refuseAuth: (md) => {
      const verdict = opts.auth(md);
      if (verdict === 'ok') return undefined;
      counters.authFailures++;
      return statusError(grpc.status.UNAUTHENTICATED, verdict === 'missing' ? 'authorization: bearer token required' : 'authorization: token not accepted');
    },
  };
}
