// Micro-benchmark of the pipeline's event-id window (libs/pipeline/src/dedupe.ts) at the
// closed loop's shape: ids as the JVM client makes them (client id, "-", counter), one fresh
// string per event, a window of 100,000, each batch of 500 looked up (has) and then remembered
// (add), as Pipeline.write does, with other short-lived garbage per event so the young
// generation is as busy as in the sidecar. Compared with the Map-based window it replaced
// (testing/kit's MapEventIdWindow) and with no window at all. Run it bundled:
//
//   node testing/bench/micro.mjs event-id-window [--events 2000000] [--window 100000] [--rounds 5]
import { randomUUID } from 'node:crypto';
import { EventIdWindow } from '@sparkwire/pipeline';
import { MapEventIdWindow } from '@sparkwire/testkit/src/map-event-id-window';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg('events', 2_000_000);
const WINDOW = arg('window', 100_000);
const ROUNDS = arg('rounds', 5);
const BATCH = 500;

interface Window {
  hash?(id: string): number;
  has(id: string, h?: number): boolean;
  add(id: string, h?: number): void;
}

const none: Window = { has: () => false, add: () => undefined };

function nsPerEvent(make: () => Window): number {
  const w = make();
  const clients = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const counters = [0, 0, 0, 0];
  let junk: unknown[] = [];
  let found = 0;
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < EVENTS / BATCH; b++) {
    const c = b % clients.length;
    const ids: string[] = new Array(BATCH);
    for (let i = 0; i < BATCH; i++) {
      // A flat string of its own, as the protobuf decoder makes each id.
      ids[i] = Buffer.from(`${clients[c]}-${++counters[c]}`, 'latin1').toString('latin1');
      junk.push({ id: ids[i], metrics: [i, b, c], label: `x${i}` });
    }
    // As Pipeline.write: the id hashed once, for the lookup and the add after the publish.
    const hashes: number[] = new Array(BATCH);
    for (let i = 0; i < BATCH; i++) {
      hashes[i] = w.hash ? w.hash(ids[i]) : 0;
      if (w.has(ids[i], hashes[i])) found++;
    }
    for (let i = 0; i < BATCH; i++) w.add(ids[i], hashes[i]);
    if (junk.length > 5_000) junk = [];
  }
  const ns = Number(process.hrtime.bigint() - t0) / EVENTS;
  if (found !== 0) throw new Error(`integrity: ${found} fresh ids were found in the window`);
  return ns;
}

const arms: Array<[string, () => Window]> = [
  ['no window (ids and garbage only)', () => none],
  ['Map window (before)', () => new MapEventIdWindow(WINDOW)],
  ['EventIdWindow (hash table)', () => new EventIdWindow(WINDOW)],
];
const results = new Map<string, number[]>(arms.map(([n]) => [n, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, make] of arms) results.get(name)!.push(nsPerEvent(make));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.get(arms[0][0])!);
console.log(`${EVENTS} events, window ${WINDOW}, batches of ${BATCH}, ${ROUNDS} interleaved rounds, ${process.version}`);
for (const [name] of arms) {
  const m = median(results.get(name)!);
  console.log(`${name.padEnd(34)} ${m.toFixed(0).padStart(6)} ns/event median${name === arms[0][0] ? '' : `, the window's own ${(m - base).toFixed(0)} ns`}  (rounds: ${results.get(name)!.map((x) => x.toFixed(0)).join(', ')})`);
}
