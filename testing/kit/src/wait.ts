export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
  /**
   * A check that throws is asked again (its last error ends up in the timeout message);
   * without this the error ends the wait at once. For checks against something still
   * starting, e.g. a health call to a process that is not listening yet.
   */
  retryErrors?: boolean;
}

/** Polls `check` until it holds; resolves with how long that took, in ms. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeout: number | WaitOptions = 30_000, everyMs = 100): Promise<number> {
  const o: WaitOptions = typeof timeout === 'number' ? { timeoutMs: timeout, everyMs } : timeout;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return Date.now() - t0;
    } catch (err) {
      if (!o.retryErrors) throw err;
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(o.everyMs ?? 100);
  }
}
