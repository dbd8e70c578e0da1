// The records: the sidecar's own extended-mode JSON task records (tasks_started,
// tasks_ended, task_metrics) of synthetic Spark applications, made by @sparkwire/encoding's
// encoder from the bench's event generator. Keyed by application id (the sidecar's default
// kafka.key). Each record gets a fresh event id (a counter patched into the JSON), so no two
// records of a run are the same; built per batch, so memory does not grow with the run.
import { encoderFor } from '@sparkwire/encoding';
import type { SparkEvent } from '@sparkwire/proto';
// The file, not the package index: the worker's RSS should be the client's, not the testkit's.
import { syntheticApplication } from '@sparkwire/testkit/src/synthetic-app';
import type { ProduceRecord } from './types';

const DIGITS = 12;

interface Template {
  key: Buffer;
  value: Buffer;
  /** Where the counter digits start in value. */
  at: number;
}

export interface RecordSource {
  avgBytes: number;
  templates: number;
  batch(first: number, count: number): ProduceRecord[];
}

/** apps applications (keys) x their task records. */
export function recordSource(apps = 12, tasksPerStage = 25): RecordSource {
  const encoder = encoderFor('json');
  const perApp: Template[][] = [];
  for (let a = 0; a < apps; a++) {
    const appId = `app-20261201120000-${String(a + 1).padStart(4, '0')}`;
    const key = Buffer.from(appId);
    const events = syntheticApplication({
      appId,
      appName: `bench-etl-${a + 1}`,
      stagesPerJob: [4, 3, 3],
      tasksPerStage,
      executors: 8,
      sqlExecutions: 2,
      failedTasks: 2,
      streamingProgress: 0,
      labels: { team: 'data-platform', pipeline: 'nightly-etl', env: 'bench' },
      startMs: Date.now() - 3_600_000,
    }).filter((e) => e.body?.$case === 'taskStart' || e.body?.$case === 'taskEnd');
    const prefix = `${appId}-e`;
    const list: Template[] = [];
    for (const ev of events) {
      const withId: SparkEvent = { ...ev, eventId: prefix + '0'.repeat(DIGITS) };
      for (const v of encoder.encode(withId)) {
        const value = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
        const at = value.indexOf(Buffer.from(withId.eventId));
        if (at < 0) throw new Error('event id not found in the encoded record');
        list.push({ key, value, at: at + Buffer.byteLength(prefix) });
      }
    }
    perApp.push(list);
  }
  // Interleave the applications record by record, as several drivers' streams reach one sidecar.
  const all: Template[] = [];
  const longest = Math.max(...perApp.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const l of perApp) if (i < l.length) all.push(l[i]);
  const avgBytes = all.reduce((s, t) => s + t.value.length, 0) / all.length;
  return {
    avgBytes,
    templates: all.length,
    batch(first, count) {
      const out: ProduceRecord[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const n = first + i;
        const t = all[n % all.length];
        const value = Buffer.allocUnsafe(t.value.length);
        t.value.copy(value);
        let c = n + 1;
        for (let d = DIGITS - 1; d >= 0; d--) {
          value[t.at + d] = 48 + (c % 10);
          c = Math.floor(c / 10);
        }
        out[i] = { key: t.key, value };
      }
      return out;
    },
  };
}
