// The status page in a real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): a real broker, `sparkwire serve` as its own process with the page on and a
// server token, a synthetic application streamed in parts through the gRPC API. The page
// loads (token once in the URL, then a cookie), shows the running stage's task count rising
// between two observations, and shows Kafka down when the broker is stopped. Without the token:
// 401. Writes docs/images/status-page.png (the README shows it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { batches, ListenerClient, type SidecarProcess, spawnSidecar, syntheticApplication } from '@sparkwire/testkit';
import type { ClientStats, SparkEvent } from '@sparkwire/proto';

const TOKEN = 'status-page-test-token-0123456789';
const SCREENSHOT = resolve(import.meta.dirname, '../../../docs/images/status-page.png');

let broker: Broker;
let sidecar: SidecarProcess;
let browser: BrowserContext;
let page: Page;
let statusUrl: string;
let profile: string;
let seq = 0;
let client: ListenerClient;

/** A finished run of the day's job, with its streaming query reading Kafka (lag reported). */
const earlier = syntheticApplication({ appId: 'app-20261201-0001', appName: 'nightly-etl', stagesPerJob: [2, 1], tasksPerStage: 50, executors: 2, sqlExecutions: 1, failedTasks: 1, streamingProgress: 4, startMs: Date.now() - 3_600_000 }).map((e): SparkEvent => {
  const b = e.body!;
  if (b.$case !== 'streamingProgress') return e;
  const behind = { minOffsetsBehindLatest: '0', maxOffsetsBehindLatest: String(40 * (Number(b.value.batchId) + 1)), avgOffsetsBehindLatest: '12' };
  return { ...e, body: { ...b, value: { ...b.value, name: 'clicks-to-lake', sources: [{ ...b.value.sources[0], description: 'KafkaV2[Subscribe[clicks]]', metrics: behind }] } } };
});
/** The running one, sent in parts: no end. */
const running = syntheticApplication({ appId: 'app-20261201-0002', appName: 'sessionize', stagesPerJob: [3, 2], tasksPerStage: 400, executors: 4, sqlExecutions: 2, failedTasks: 2, streamingProgress: 0, startMs: Date.now() - 120_000 }).filter(
  (e) => !['executorRemoved', 'applicationEnd'].includes(e.body!.$case),
);
/** Index just after the n-th task end of `running`. */
const afterTaskEnd = (n: number) => {
  let k = 0;
  return running.findIndex((e) => e.body?.$case === 'taskEnd' && ++k === n) + 1;
};

async function send(events: SparkEvent[], clientStats?: ClientStats): Promise<void> {
  const stream = client.openStream();
  const all = batches(events, 200);
  const acks = await Promise.all(all.map((b, i) => stream.send({ clientId: 'driver-1', batchSeq: BigInt(++seq), events: b, clientStats: i === all.length - 1 ? clientStats : undefined })));
  for (const a of acks) if (a.errorCode !== 0) throw new Error(`batch ${a.batchSeq} refused: ${a.errorMessage}`);
  await stream.end();
}

/** completed/total of stage 0 of the running application, as the page shows it. */
async function stage0Tasks(): Promise<{ done: number; total: number } | undefined> {
  const text = await page
    .locator(`[data-stage="app-20261201-0002:0.0"] .tasks`)
    .textContent({ timeout: 500 })
    .catch(() => null);
  const m = /^(\d+)\/(\d+)$/.exec(text ?? '');
  return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
}

beforeAll(async () => {
  broker = await startBroker();
  sidecar = await spawnSidecar({ args: ['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'status-events', '--extended', '--status-enabled', 'true', '--status-port', '0', '--server-token', TOKEN, '--shutdown-deadline-ms', '3000'] });
  statusUrl = sidecar.statusUrl ?? '';
  expect(statusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/);
  client = new ListenerClient(sidecar.address, { token: TOKEN });
  profile = mkdtempSync(join(tmpdir(), 'sparkwire-chromium-'));
  // A new temporary profile (--user-data-dir: playwright passes it from the first argument).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1000 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  client?.close();
  await browser?.close();
  await sidecar?.stop();
  await broker?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('status page in headless Chromium', () => {
  it('refuses a request without the token (401), and the token is not in the log', async () => {
    expect((await fetch(statusUrl)).status).toBe(401);
    expect((await fetch(`${statusUrl}/api`)).status).toBe(401);
    expect((await fetch(`${statusUrl}?token=not-the-token-0123456789`)).status).toBe(401);
    const res = await page.goto(statusUrl);
    expect(res?.status()).toBe(401);
    expect(sidecar.logs.join('\n')).not.toContain(TOKEN);
  });

  it('loads with the token and shows the running stage progress moving', async () => {
    await send(earlier, { droppedBufferFull: 3n, droppedSidecarUnavailable: 0n, sparkDroppedEvents: 0n, eventsSent: BigInt(earlier.length), taskEventsSkipped: 0n, clientKind: 'pyspark', clientVersion: '0.1.0' });
    await send(running.slice(0, afterTaskEnd(120)));
    // The token once in the address; the page then lives on its cookie, without the token in the URL.
    const res = await page.goto(`${statusUrl}?token=${TOKEN}`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(statusUrl);
    await page.locator('#conn', { hasText: 'live' }).waitFor();
    await expect.poll(() => page.locator('#kafka-state').textContent(), { timeout: 15_000 }).toBe('up');
    await page.locator('[data-app="app-20261201-0002"]').waitFor();
    await expect.poll(stage0Tasks, { timeout: 10_000 }).toBeDefined();
    const first = (await stage0Tasks())!;
    expect(first.total).toBe(400);
    expect(first.done).toBeGreaterThan(0);
    expect(first.done).toBeLessThan(400);

    await send(running.slice(afterTaskEnd(120), afterTaskEnd(330)));
    await expect.poll(async () => (await stage0Tasks())?.done ?? 0, { timeout: 10_000 }).toBeGreaterThan(first.done);
    const second = (await stage0Tasks())!;
    expect(second.done).toBeLessThan(400);

    // Stage 0 done, stage 1 half way: two progress bars moving, the earlier run ended with its streaming query.
    await send(running.slice(afterTaskEnd(330), afterTaskEnd(600)));
    await expect.poll(stage0Tasks, { timeout: 10_000 }).toEqual({ done: 400, total: 400 });
    expect(await page.locator('[data-stage="app-20261201-0002:1.0"] .tasks').textContent()).toMatch(/^\d+\/400$/);
    expect(await page.locator('[data-app="app-20261201-0001"] .pill').textContent()).toBe('ended');
    expect(await page.locator('[data-query]').count()).toBe(4);
    expect(await page.locator('[data-query]').first().textContent()).toContain('clicks-to-lake');
    expect(await page.locator('#client-drops').textContent()).toBe('3');
    expect(await page.locator('#sidecar-drops').textContent()).toBe('0');
    expect(await page.locator('#spool-state').textContent()).toMatch(/idle|draining/);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('shows Kafka down when the broker is stopped', async () => {
    await broker.stop();
    // The sink's metadata probe (kafka.healthProbeIntervalMs, 2 s) notices; the page polls every second.
    await expect.poll(() => page.locator('#kafka-state').textContent(), { timeout: 30_000, interval: 500 }).toBe('down');
    expect(await page.locator('#kafka-state').getAttribute('class')).toContain('bad');
  });
});
