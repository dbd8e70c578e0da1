// One measured run, in a process of its own (clean RSS and CPU figures, and the runtime
// of the caller's choice): `node --import tsx worker.ts '<json spec>'`.
//   {"mode":"info"}  -> prints INFO <json: name -> ClientInfo | null>
//   {"mode":"run", ...RunSpec} -> prints RESULT <json WorkerResult>
import { ADAPTERS } from './adapters';
import { recordSource } from './records';
import type { ClientInfo, Compression } from './types';

export interface RunSpec {
  client: string;
  bootstrap: string;
  topic: string;
  records: number;
  batchRecords: number;
  maxInFlight: number;
  compression: Compression;
}

export interface WorkerResult {
  acked: number;
  wallS: number;
  recordsPerSec: number;
  cpuUsPerRecord: number;
  /** Process peak RSS (getrusage maxrss), and RSS once connected, before the first send. */
  peakRssBytes: number;
  rssBeforeBytes: number;
  avgRecordBytes: number;
  node: string;
}

async function info(): Promise<Record<string, ClientInfo | null>> {
  const out: Record<string, ClientInfo | null> = {};
  for (const [name, load] of Object.entries(ADAPTERS)) {
    try {
      out[name] = (await (await load()).info()) ?? null;
    } catch (err) {
      out[name] = { pkg: name, version: '?', maxInFlight: [], compression: {}, note: `does not load: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return out;
}

async function run(s: RunSpec): Promise<WorkerResult> {
  const source = recordSource();
  const adapter = await (await ADAPTERS[s.client]()).create({ bootstrap: s.bootstrap, clientId: `compare-${s.client}`, maxInFlight: s.maxInFlight, compression: s.compression });
  await adapter.connect();
  // Warm-up outside the measurement: metadata, producer id, JIT of the send path (not counted: the topic check adds it).
  const warm = Math.min(s.batchRecords, s.records);
  await adapter.send(s.topic, source.batch(0, warm));
  const rssBeforeBytes = process.memoryUsage().rss;
  let next = warm;
  let acked = warm;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lane = async () => {
    while (next < s.records) {
      const n = Math.min(s.batchRecords, s.records - next);
      const first = next;
      next += n;
      await adapter.send(s.topic, source.batch(first, n));
      acked += n;
    }
  };
  await Promise.all(Array.from({ length: s.maxInFlight }, lane));
  await adapter.flush();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await adapter.close();
  const measured = s.records - warm;
  return {
    acked,
    wallS,
    recordsPerSec: measured / wallS,
    cpuUsPerRecord: (cpu.user + cpu.system) / measured,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBeforeBytes,
    avgRecordBytes: source.avgBytes,
    node: process.version,
  };
}

const spec = JSON.parse(process.argv[2] ?? '{"mode":"info"}') as { mode: 'info' } | ({ mode: 'run' } & RunSpec);
(spec.mode === 'info' ? info().then((r) => `INFO ${JSON.stringify(r)}`) : run(spec).then((r) => `RESULT ${JSON.stringify(r)}`)).then(
  (line) => {
    process.stdout.write(`${line}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(`ERROR ${JSON.stringify(String((err as Error)?.stack ?? err))}\n`);
    process.exit(1);
  },
);
