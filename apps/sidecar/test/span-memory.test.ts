// Bounded span state in the real sidecar process: an application with 100,000 task events
// (50,000 tasks) goes through the gRPC API in extended mode with task spans on; the
// sidecar's own metrics show the trace builder's state stays small while it runs and
// returns to its baseline (no application, no open span) once the application ends, while
// every span reached the OTLP receiver.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type SidecarProcess, spawnSidecar, startOtlpReceiver, syntheticApplication, waitFor } from '@sparkwire/testkit';
import { metricsAddress, scrape, sendApp, type Scrape } from './otel-helpers';

let receiver: OtlpReceiver;
let sidecar: SidecarProcess;
let address: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  sidecar = await spawnSidecar({
    args: ['--file-dir', mkdtempSync(join(tmpdir(), 'sw-mem-')), '--extended', '--metrics-port', '0', '--otel-traces-endpoint', receiver.grpcUrl, '--otel-traces-protocol', 'grpc'], env: { OTEL_BSP_SCHEDULE_DELAY: '100' } });
  address = metricsAddress(sidecar);
});
afterAll(async () => {
  await sidecar?.stop();
  await receiver?.close();
});

const openSpans = (s: Scrape) => (s.families.get('sparkwire_trace_open_spans')?.samples ?? []).reduce((t, x) => t + x.value, 0);
const state = (s: Scrape) => ({ apps: s.value('sparkwire_trace_applications'), openSpans: openSpans(s) });

describe('span state under 100,000 task events', () => {
  it('stays bounded while the application runs and returns to its baseline when it ends', { timeout: 300_000 }, async () => {
    const baseline = await scrape(address);
    expect(state(baseline)).toEqual({ apps: 0, openSpans: 0 });

    // 10 jobs x 5 stages x 1,000 tasks: 100,000 task events.
    const app = syntheticApplication({ appId: 'app-mem', appName: 'memory', stagesPerJob: Array(10).fill(5), tasksPerStage: 1000, executors: 8, sqlExecutions: 10, failedTasks: 0, streamingProgress: 0, startMs: Date.now() - 3_600_000 });
    const taskEvents = app.filter((e) => e.body?.$case === 'taskStart' || e.body?.$case === 'taskEnd').length;
    expect(taskEvents).toBe(100_000);

    // Send it in slices, looking at the builder's state after each. The test paces itself on
    // the sidecar's span export queue (a burst faster than the collector takes would fill the
    // bounded queue and drop spans, counted): it measures state, not export throughput.
    const slices = 20;
    const per = Math.ceil(app.length / slices);
    const during: Array<{ apps?: number; openSpans: number }> = [];
    for (let i = 0; i < slices; i++) {
      await sendApp(sidecar.address, app.slice(i * per, (i + 1) * per), { clientId: `mem-${i}`, batchSize: 1000 });
      during.push(state(await scrape(address)));
      await waitFor('span queue to drain', async () => ((await scrape(address)).value('otel_sdk_processor_span_queue_size') ?? 0) < 4096, 60_000);
    }
    // While running: one application, at most an SQL execution, a job and a stage open (never tasks).
    for (const d of during.slice(0, -1)) {
      expect(d.apps).toBe(1);
      expect(d.openSpans).toBeLessThanOrEqual(3);
    }
    // After the end: back to the baseline.
    const after = await scrape(address);
    expect(state(after)).toEqual(state(baseline));
    expect(after.value('sparkwire_trace_spans_total', { span_kind: 'task' })).toBe(50_000);
    expect(after.value('sparkwire_trace_spans_closed_early_total', { reason: 'application_end' })).toBe(0);

    // Every span left the sidecar: 1 application + 10 SQL + 10 jobs + 50 stages + 50,000 tasks.
    const total = 1 + 10 + 10 + 50 + 50_000;
    await receiver.waitForSpans((s) => s.length >= total, 120_000);
    expect(receiver.spans).toHaveLength(total);
    // The exporter counts a batch once the receiver's answer is back: a moment after the receiver has it.
    await waitFor('exports counted', async () => (await scrape(address)).value('sparkwire_trace_spans_exported_total', { result: 'ok' }) === total);
    const final = await scrape(address);
    expect(final.value('otel_sdk_processor_span_queue_size')).toBe(0);
    expect(final.value('otel_sdk_processor_span_processed_total', { error_type: 'queue_full' }) ?? 0).toBe(0);
    // For the record: the sidecar's memory after the run.
    console.log('sidecar memory after 100,000 task events:', { rssMb: Math.round(final.value('sparkwire_process_resident_memory_bytes')! / 2 ** 20), heapMb: Math.round(final.value('sparkwire_process_heap_used_bytes')! / 2 ** 20) });
  });
});
