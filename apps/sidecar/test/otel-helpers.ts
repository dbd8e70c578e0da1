// Shared by the OpenTelemetry integration tests: sending an application through the real
// gRPC API, reading the sidecar's metrics address from its log, scraping it.
import { batches, ListenerClient, type SidecarProcess } from '@sparkwire/testkit';
import { parsePrometheusText, type PromFamily, type PromSample } from '@sparkwire/otel-metrics';
import type { ClientStats, SparkEvent } from '@sparkwire/proto';

export async function sendApp(address: string, events: SparkEvent[], opts: { clientId?: string; batchSize?: number; clientStats?: ClientStats } = {}): Promise<void> {
  const client = new ListenerClient(address);
  const stream = client.openStream();
  let seq = 0;
  const all = batches(events, opts.batchSize ?? 500);
  const acks = await Promise.all(all.map((b, i) => stream.send({ clientId: opts.clientId ?? 'otel-test', batchSeq: BigInt(++seq), events: b, clientStats: i === all.length - 1 ? opts.clientStats : undefined })));
  for (const a of acks) if (a.errorCode !== 0) throw new Error(`batch ${a.batchSeq} refused: ${a.errorMessage}`);
  await stream.end();
  client.close();
}

/** host:port of the Prometheus endpoint, from the ready line. */
export function metricsAddress(s: SidecarProcess): string {
  if (s.metricsAddress) return s.metricsAddress;
  throw new Error(`no metricsAddress in the sidecar log:\n${s.logs.join('\n')}`);
}

export interface Scrape {
  text: string;
  contentType: string | null;
  families: Map<string, PromFamily>;
  /** The first sample named `name` whose labels include `labels`. */
  sample(name: string, labels?: Record<string, string>): PromSample | undefined;
  value(name: string, labels?: Record<string, string>): number | undefined;
}

export async function scrape(address: string, path = '/metrics'): Promise<Scrape> {
  const res = await fetch(`http://${address}${path}`);
  if (res.status !== 200) throw new Error(`scrape ${address}${path}: HTTP ${res.status}`);
  const text = await res.text();
  const families = parsePrometheusText(text);
  const all = [...families.values()].flatMap((f) => f.samples);
  const sample = (name: string, labels: Record<string, string> = {}) => all.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { text, contentType: res.headers.get('content-type'), families, sample, value: (n, l) => sample(n, l)?.value };
}
