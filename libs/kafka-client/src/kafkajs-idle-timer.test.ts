// The replaced RequestQueue.scheduleCheckPendingRequests (kafkajs-idle-timer.ts) on queue
// state made by hand: no timer while nothing waits, kafkajs's own delays while something does.
// test/kafka-client.int.test.ts checks the same against a real broker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { fixKafkajsIdleTimer } from './kafkajs-idle-timer';

function queue(pending: unknown[], throttledUntil = -1) {
  return { pending, throttledUntil, throttleCheckTimeoutId: null as NodeJS.Timeout | null, checkPendingRequests: vi.fn() };
}
const schedule = (q: ReturnType<typeof queue>) => RequestQueue.prototype.scheduleCheckPendingRequests.call(q);

describe('kafkajs request-queue timer', () => {
  afterEach(() => vi.useRealTimers());

  it('the unpatched method arms a timer with nothing pending (the loop this fixes)', () => {
    fixKafkajsIdleTimer();
    const replaced = RequestQueue.prototype.scheduleCheckPendingRequests as (() => void) & { kafkajsOriginal?: () => void };
    const original = replaced.kafkajsOriginal!;
    expect(String(original)).toContain('this.throttledUntil - Date.now()'); // kafkajs's own, kept for this check
    fixKafkajsIdleTimer(); // idempotent
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(replaced);
    vi.useFakeTimers();
    const q = queue([]);
    original.call(q);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId!);
  });

  it('arms no timer while no request waits, throttled or not', () => {
    fixKafkajsIdleTimer();
    vi.useFakeTimers();
    for (const q of [queue([]), queue([], Date.now() + 500)]) {
      schedule(q);
      expect(q.throttleCheckTimeoutId).toBeNull();
      vi.advanceTimersByTime(1000);
      expect(q.checkPendingRequests).not.toHaveBeenCalled();
    }
  });

  it('checks waiting requests after 10 ms, or when the throttle ends; one timer at a time', () => {
    fixKafkajsIdleTimer();
    vi.useFakeTimers();
    const q = queue([{}]);
    schedule(q);
    schedule(q); // already armed: not twice
    vi.advanceTimersByTime(9);
    expect(q.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
    expect(q.throttleCheckTimeoutId).toBeNull();

    const t = queue([{}], Date.now() + 300);
    schedule(t);
    vi.advanceTimersByTime(299);
    expect(t.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(t.checkPendingRequests).toHaveBeenCalledTimes(1);
  });
});
