// Writes proto/golden/*.json: one sparkwire.v1 event in (proto3 JSON) and the exact
// sparkMeasure-compatible records out. Run after an intended encoding change and review
// the diff: these files are the contract the other languages are held to.
//   npx tsx tools/codegen/make-golden.ts
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SparkEvent } from '@sparkwire/proto';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import { syntheticApplication } from '@sparkwire/synthetic';

const dir = resolve(import.meta.dirname, '../../proto/golden');
mkdirSync(dir, { recursive: true });

const events = syntheticApplication({
  appId: 'app-20261124120000-0042',
  appName: 'golden',
  stagesPerJob: [2],
  tasksPerStage: 2,
  executors: 1,
  sqlExecutions: 1,
  failedTasks: 1,
  streamingProgress: 1,
  labels: { team: 'data-platform' },
  startMs: Date.UTC(2026, 10, 24, 12, 0, 0),
});
const picked = new Map<string, SparkEvent>();
for (const ev of events) {
  const c = ev.body!.$case;
  // For task ends, keep both the failed first attempt and a successful one.
  const name = c === 'taskEnd' ? (ev.body!.value as { reason: string }).reason === 'Success' ? 'taskEnd-success' : 'taskEnd-failed' : c;
  if (!picked.has(name)) picked.set(name, ev);
}
picked.set('observation', {
  ...events[0],
  eventId: 'app-20261124120000-0042-obs-1',
  body: { $case: 'observation', value: { name: 'visits_quality', numeric: { emptyReferralShare: 0.125, rows: 800 }, text: { topic: 'visits' }, queryId: 'q-1', batchId: 7 } },
});
let n = 0;
for (const [name, ev] of picked) {
  const file = join(dir, `${String(++n).padStart(2, '0')}-${name}.json`);
  writeFileSync(file, `${JSON.stringify({ event: SparkEvent.toJSON(ev), records: toSparkMeasureRecords(ev) }, null, 2)}\n`);
}
console.log(`wrote ${n} golden vectors to ${dir}`);
