// kafkajs 2.2.4 (unmaintained: its last release is of February 2023) keeps a 1 ms timer loop
// running on every connection that has sent a request, for as long as the connection lives:
// RequestQueue.scheduleCheckPendingRequests arms setTimeout(check, throttledUntil - Date.now())
// even when no request waits, throttledUntil is -1 unless the broker throttled the client, so
// the delay is minus a timestamp (Node runs it after 1 ms; Node 23+ also warns once per
// process, see kafkajs-timeout-warning.ts, still needed for a kafkajs client used before this is
// installed), and the check arms the next one (tulios/kafkajs#1556, #1704; the fix, #1667, was
// never released). The sidecar holds kafkajs connections for its admin calls
// (limits, health, topics) whatever the producer: measured on an idle sidecar, 4.5% of a core
// (1.75% with this fix) and about 1,600 event-loop wakeups a second (docs/benchmarks.md).
//
// The replacement arms the timer only while requests wait, with kafkajs's own delay (the end of
// a throttle, else 10 ms). Nothing waiting is left unchecked: push() calls it right after
// queueing a request, and every response or timeout of a request in flight checks the queue.
// Installed once per process, on kafkajs's own RequestQueue class, before a client is built.
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (module-private in requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface QueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

type Schedule = ((this: QueueState) => void) & { kafkajsOriginal?: () => void };

/** Replaces the method on kafkajs's class; idempotent, also across copies of this module. */
export function fixKafkajsIdleTimer(): void {
  const proto = RequestQueue.prototype as unknown as { scheduleCheckPendingRequests: Schedule };
  if (proto.scheduleCheckPendingRequests.kafkajsOriginal) return;
  const scheduleWhileWaiting: Schedule = function (this: QueueState) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
  scheduleWhileWaiting.kafkajsOriginal = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = scheduleWhileWaiting;
}
