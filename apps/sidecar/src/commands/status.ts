// `sparkwire status`: the health of a running sidecar in one look: every grpc.health.v1
// entry it serves, and from its Prometheus endpoint the spool depth, batches in flight,
// drops on the client side and throughput (two scrapes --sample-ms apart). Exits 1 when a
// required entry is not SERVING: usable as a Kubernetes exec probe.
import type { Command } from 'commander';
import { checkHealth } from '../health-check';
import { EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK, outputFormat, positiveInt, toJson, UsageError, table, type CommandDeps } from './common';

/** The health entries a sidecar may serve (receiver, sinks, spool, offsets). */
export const HEALTH_ENTRIES = ['', 'sparkwire.v1.ListenerService', 'sparkwire.v1.OffsetsService', 'sparkwire.kafka', 'sparkwire.file', 'sparkwire.spool'];

/** Prometheus text -> metric name -> summed value (over every label set). */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    out.set(m[1], (out.get(m[1]) ?? 0) + v);
  }
  return out;
}

export interface StatusFigures {
  spoolPendingEntries?: number;
  spoolBytes?: number;
  spoolOldestPendingSeconds?: number;
  inFlightBatches?: number;
  openStreams?: number;
  clientDroppedEvents?: number;
  sparkDroppedEvents?: number;
  eventsReceived?: number;
  eventsPublished?: number;
  eventsRejected?: number;
  receivedPerSecond?: number;
  publishedPerSecond?: number;
}

const pick = (m: Map<string, number>, ...names: string[]) => {
  for (const n of names) if (m.has(n)) return m.get(n);
  return undefined;
};

export function figures(a: Map<string, number>, b?: Map<string, number>, seconds = 1): StatusFigures {
  const m = b ?? a;
  const f: StatusFigures = {
    spoolPendingEntries: pick(m, 'sparkwire_spool_pending_entries'),
    spoolBytes: pick(m, 'sparkwire_spool_bytes', 'sparkwire_spool_bytes_total'),
    spoolOldestPendingSeconds: pick(m, 'sparkwire_spool_oldest_pending_seconds'),
    inFlightBatches: pick(m, 'sparkwire_pipeline_inflight_batches'),
    openStreams: pick(m, 'sparkwire_grpc_open_streams'),
    clientDroppedEvents: pick(m, 'sparkwire_client_dropped_events_total', 'sparkwire_client_dropped_events'),
    sparkDroppedEvents: pick(m, 'sparkwire_client_spark_dropped_events_total', 'sparkwire_client_spark_dropped_events'),
    eventsReceived: pick(m, 'sparkwire_events_received_total'),
    eventsPublished: pick(m, 'sparkwire_events_published_total'),
    eventsRejected: pick(m, 'sparkwire_events_rejected_total'),
  };
  if (b) {
    const rate = (n: string) => Math.max(0, ((b.get(n) ?? 0) - (a.get(n) ?? 0)) / seconds);
    f.receivedPerSecond = rate('sparkwire_events_received_total');
    f.publishedPerSecond = rate('sparkwire_events_published_total');
  }
  return f;
}

async function scrape(url: string, timeoutMs: number): Promise<Map<string, number>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return parseProm(await res.text());
}

export function addStatusCommand(program: Command, deps: CommandDeps): void {
  const { io } = deps;
  program
    .command('status')
    .description('health of a running sidecar: each grpc.health.v1 entry, spool depth, in-flight batches, drops, throughput; exit 1 when not serving (a Kubernetes exec probe)')
    .option('--address <host:port>', "the sidecar's gRPC address", '127.0.0.1:50551')
    .option('--metrics-url <url>', 'its Prometheus endpoint (default: http://<host of --address>:9464/metrics)')
    .option('--no-metrics', 'health entries only (no scrape)')
    .option('--require <entries>', 'comma-separated health entries that must be SERVING for exit 0 ("" is the process; "all": every entry the sidecar has, sparkwire.v1.OffsetsService included, which is NOT_SERVING while offsets are disabled)', '')
    .option('--sample-ms <ms>', 'scrape twice this far apart for the rates (0: once, no rates)', positiveInt('--sample-ms'), 1000)
    .option('--timeout-ms <ms>', 'give up on each request after this long', positiveInt('--timeout-ms'), 3000)
    .option('--output <format>', 'text or json (one object: health, metrics, serving)', outputFormat, 'text')
    .addHelpText('after', `\nExample probe: sparkwire status --require "",sparkwire.v1.ListenerService --no-metrics${EXIT_CODES_HELP}`)
    .exitOverride()
    .action((opts) => {
      deps.setAction(async () => {
        if (!/^[^\s]+:\d+$/.test(opts.address)) throw new UsageError(`--address: ${JSON.stringify(opts.address)} is not host:port`);
        const health: Record<string, string> = {};
        let unreachable: string | undefined;
        for (const name of HEALTH_ENTRIES) {
          try {
            health[name] = await checkHealth(opts.address, name, opts.timeoutMs);
          } catch (err) {
            const e = err as { code?: number; message: string };
            if (e.code === 5) continue; // NOT_FOUND: not an entry of this sidecar
            unreachable = e.message;
            break;
          }
        }
        const required = opts.require === 'all' ? Object.keys(health) : String(opts.require).split(',').map((s: string) => s.trim());
        const serving = !unreachable && required.every((n: string) => health[n] === 'SERVING');

        let metrics: StatusFigures | undefined;
        let metricsError: string | undefined;
        const host = opts.address.replace(/:\d+$/, '');
        const url = opts.metricsUrl ?? `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:9464/metrics`;
        if (opts.metrics && !unreachable) {
          try {
            const a = await scrape(url, opts.timeoutMs);
            if (opts.sampleMs > 0) {
              const t0 = Date.now();
              await new Promise((r) => setTimeout(r, opts.sampleMs));
              const b = await scrape(url, opts.timeoutMs);
              metrics = figures(a, b, (Date.now() - t0) / 1000);
            } else metrics = figures(a);
          } catch (err) {
            metricsError = `${url}: ${(err as Error).message}`;
          }
        }

        if (opts.output === 'json') {
          io.out(`${toJson({ address: opts.address, serving, health, unreachable, metricsUrl: opts.metrics ? url : undefined, metrics, metricsError })}\n`);
        } else if (unreachable) {
          io.out(`sidecar ${opts.address}: UNREACHABLE (${unreachable})\n`);
        } else {
          const t = table(['health entry', 'status']);
          for (const [n, s] of Object.entries(health)) t.push([n === '' ? '"" (process)' : n, s]);
          io.out(`sidecar ${opts.address}: ${serving ? 'SERVING' : 'NOT SERVING'}\n${t.toString()}\n`);
          if (metrics) {
            const m = table(['metric', 'value']);
            const row = (k: string, v: number | undefined, unit = '') => v !== undefined && m.push([k, `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`]);
            row('spool depth (entries)', metrics.spoolPendingEntries);
            row('spool bytes', metrics.spoolBytes);
            row('oldest spooled batch', metrics.spoolOldestPendingSeconds, ' s');
            row('batches in flight', metrics.inFlightBatches);
            row('open client streams', metrics.openStreams);
            row('events dropped by clients', metrics.clientDroppedEvents);
            row('events dropped by Spark (listener bus)', metrics.sparkDroppedEvents);
            row('events received', metrics.eventsReceived);
            row('events published', metrics.eventsPublished);
            row('events rejected', metrics.eventsRejected);
            row('received / s', metrics.receivedPerSecond);
            row('published / s', metrics.publishedPerSecond);
            io.out(`metrics (${url}):\n${m.toString()}\n`);
          } else if (metricsError) io.out(`metrics: unavailable (${metricsError})\n`);
        }
        if (unreachable) io.err(`sparkwire status: ${opts.address}: ${unreachable}\n`);
        return serving ? EXIT_OK : EXIT_FAILED;
      });
    });
}
