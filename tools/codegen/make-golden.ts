// Writes proto/golden/*.json: one sparkwire.v1 event in (proto3 JSON) and the exact
// sparkMeasure-compatible records out. Run after an intended encoding change and review
// the diff: these files are the contract the other languages are held to.
//   npx tsx tools/codegen/make-golden.ts
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConnectOperationPhase, ConnectSessionPhase, SparkEvent } from '@sparkwire/proto';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import { syntheticApplication } from '@sparkwire/testkit';

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
  body: { $case: 'observation', value: { name: 'visits_quality', numeric: { emptyReferralShare: 0.125, rows: 800 }, text: { topic: 'visits' }, queryId: 'q-1', batchId: 7n } },
});
// Spark's longs above 2^53 (a stage of 2,000 two-hour tasks has an executorCpuTime in ns of
// about 1.44e16; int64 max as the extreme): every language must carry them exactly.
const stageEnd = picked.get('stageCompleted')!;
if (stageEnd.body?.$case !== 'stageCompleted') throw new Error('no stageCompleted event');
picked.set('stageCompleted-large', {
  ...stageEnd,
  eventId: 'app-20261124120000-0042-large-1',
  body: {
    $case: 'stageCompleted',
    value: {
      ...stageEnd.body.value,
      stage: { ...stageEnd.body.value.stage!, numTasks: 2000 },
      metrics: { ...stageEnd.body.value.metrics!, executorRunTimeMs: 14_400_000_000n, executorCpuTimeNs: 14_400_000_000_000_001n, shuffleWriteTimeNs: 9_223_372_036_854_775_807n },
    },
  },
});

// Spark Connect: an operation's started (everything Spark gives only then), finished (with
// the produced row count) and failed phases, and a session's start.
{
  const base = events[0];
  const s = '8c9c97ba-2e27-4842-a75c-d01301b41547';
  const o = '6d86e80e-c792-4480-a342-22779000291f';
  const op = {
    jobTag: `SparkConnect_OperationTag_User_alice_Session_${s}_Operation_${o}`,
    operationId: o,
    sessionId: s,
    userId: 'alice',
    userName: '',
    statementText: '',
    jobTags: [],
    errorMessage: '',
    producedRowCount: undefined,
  };
  const at = (i: number) => base.eventTimeMs + BigInt(i);
  picked.set('connectOperation-started', {
    ...base,
    eventId: 'app-20261124120000-0042-connect-1',
    eventTimeMs: at(1),
    emittedTimeMs: at(2),
    body: { $case: 'connectOperation', value: { ...op, phase: ConnectOperationPhase.CONNECT_OPERATION_PHASE_STARTED, userName: 'spark', statementText: 'SELECT count(*) FROM visits', jobTags: ['nightly'] } },
  });
  picked.set('connectOperation-finished', {
    ...base,
    eventId: 'app-20261124120000-0042-connect-2',
    eventTimeMs: at(3),
    emittedTimeMs: at(4),
    body: { $case: 'connectOperation', value: { ...op, phase: ConnectOperationPhase.CONNECT_OPERATION_PHASE_FINISHED, producedRowCount: 1n } },
  });
  picked.set('connectOperation-failed', {
    ...base,
    eventId: 'app-20261124120000-0042-connect-3',
    eventTimeMs: at(5),
    emittedTimeMs: at(6),
    body: { $case: 'connectOperation', value: { ...op, phase: ConnectOperationPhase.CONNECT_OPERATION_PHASE_FAILED, errorMessage: '[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found.' } },
  });
  picked.set('connectSession', {
    ...base,
    eventId: 'app-20261124120000-0042-connect-0',
    body: { $case: 'connectSession', value: { phase: ConnectSessionPhase.CONNECT_SESSION_PHASE_STARTED, sessionId: s, userId: 'alice' } },
  });
}

// ts-proto's toJSON writes int64 fields as strings (proto3 JSON). The vectors keep them as
// JSON numbers where they are safe integers, and as strings above 2^53, where JSON.parse and
// most JSON libraries would round a number. Every proto3 JSON parser accepts both.
function int64Numbers(json: unknown, msg: unknown): unknown {
  if (typeof msg === 'bigint' && typeof json === 'string') return msg >= -(2n ** 53n) + 1n && msg <= 2n ** 53n - 1n ? Number(msg) : json;
  if (Array.isArray(json) && Array.isArray(msg)) return json.map((j, i) => int64Numbers(j, msg[i]));
  if (json && typeof json === 'object' && msg && typeof msg === 'object') {
    const m = msg as Record<string, unknown>;
    const body = m.body as { $case: string; value: unknown } | undefined;
    return Object.fromEntries(Object.entries(json).map(([k, j]) => [k, int64Numbers(j, body?.$case === k ? body.value : m[k])]));
  }
  return json;
}

// Records hold longs above 2^53 as bigints: write their exact digits as JSON numbers.
const pretty = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `\u0000bigint:${x}` : x), 2).replace(/"\\u0000bigint:(-?\d+)"/g, '$1');

// Fields the encoder writes only when the event has them (docs/kafka-records.md, "Optional
// fields"), with their JSON type. Each vector lists those of its records under "optional": a
// record may lack them, and has them with that type when it has them. Every other field of a
// vector's record is always there, with the type it has there.
const OPTIONAL: Record<string, Record<string, string>> = {
  applications_ended: { exitCode: 'number' }, // Spark 3.4+ reports it
  // jobs outside SQL have no sqlExecutionId; only jobs of a Spark Connect operation have the connect* fields and jobTags
  jobs_started: { sqlExecutionId: 'number', connectSessionId: 'string', connectOperationId: 'string', connectUserId: 'string', jobTags: 'array' },
  jobs_ended: { connectSessionId: 'string', connectOperationId: 'string', connectUserId: 'string', jobTags: 'array' },
  stages_started: { jobId: 'string' },
  stages_ended: { jobId: 'string' },
  stage_metrics: { jobId: 'string' },
  task_metrics: { endReasonMessage: 'string' }, // failed attempts; + the metrics below
  queries_started: { rootExecutionId: 'number' }, // Spark 3.4+, nested executions
  queries_ended: { errorMessage: 'string' }, // only an execution that failed
  streaming_query_terminated: { exception: 'string' },
  observations: { queryId: 'string', batchId: 'number' }, // observations from a streaming batch
  // what Spark gives on one operation phase only: started (user name, statement, client tags), failed, finished
  connect_operations: { connectUserName: 'string', statementText: 'string', jobTags: 'array', errorMessage: 'string', producedRowCount: 'number' },
};
// A task end without metrics (most failures: Spark gives none) has no metric fields at all.
{
  const withMetrics = [...picked.values()].find((e) => e.body?.$case === 'taskEnd' && e.body.value.metrics)!;
  const rec = (ev: SparkEvent) => toSparkMeasureRecords(ev).find((r) => r.name === 'task_metrics')!;
  const without = rec({ ...withMetrics, body: { ...(withMetrics.body as { $case: 'taskEnd'; value: object }), value: { ...(withMetrics.body!.value as object), metrics: undefined } } } as SparkEvent);
  for (const [k, v] of Object.entries(rec(withMetrics))) if (!(k in without)) OPTIONAL.task_metrics[k] = typeof v === 'bigint' ? 'number' : typeof v;
}
const optionalOf = (records: Array<{ name: string }>) => Object.fromEntries([...new Set(records.map((r) => r.name))].filter((r) => OPTIONAL[r]).map((r) => [r, OPTIONAL[r]]));

let n = 0;
for (const [name, ev] of picked) {
  const file = join(dir, `${String(++n).padStart(2, '0')}-${name}.json`);
  const records = toSparkMeasureRecords(ev);
  writeFileSync(file, `${pretty({ event: int64Numbers(SparkEvent.toJSON(ev), ev), records, optional: optionalOf(records) })}\n`);
}
console.log(`wrote ${n} golden vectors to ${dir}`);
