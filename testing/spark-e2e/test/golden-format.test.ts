// The golden format checker on its own (no Spark): the vectors' "optional" fields may be
// there or not, with their type; everything else stays strict. Also: docs/kafka-records.md
// lists every optional field the vectors declare.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblems, goldenShapes } from './golden-format';
import { ROOT } from './harness';

const dir = join(ROOT, 'proto/golden');
const vectors = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { records: Record<string, unknown>[]; optional: Record<string, Record<string, string>> });
const all = vectors.flatMap((v) => v.records);
const one = (name: string) => structuredClone(all.find((r) => r.name === name)!);

describe('golden format', () => {
  it('every vector says which fields of its records are optional', () => {
    for (const v of vectors) expect(v.optional, JSON.stringify(v.records.map((r) => r.name))).toBeTypeOf('object');
    expect(goldenShapes().get('queries_ended')!.optional).toEqual(new Set(['errorMessage']));
    expect(formatProblems(all)).toEqual([]);
  });

  it('an optional field may be there or not, with its type', () => {
    const ended = one('queries_ended');
    expect(ended.errorMessage).toBeUndefined();
    expect(formatProblems([ended, { ...ended, errorMessage: 'Job 3 cancelled because SparkContext was shut down' }])).toEqual([]);
    expect(formatProblems([{ ...ended, errorMessage: 42 }])).toEqual(['queries_ended.errorMessage: number, golden has string (1 records)']);
    // A failed task attempt without metrics, a successful one without endReasonMessage.
    const failed = all.find((r) => r.name === 'task_metrics' && r.failed === true)!;
    const ok = all.find((r) => r.name === 'task_metrics' && r.failed === false)!;
    expect(failed.executorRunTime).toBeUndefined();
    expect(ok.endReasonMessage).toBeUndefined();
    expect(formatProblems([failed, ok])).toEqual([]);
    const started = one('queries_started');
    expect(formatProblems([{ ...started, rootExecutionId: 0 }])).toEqual([]);
  });

  it('everything else stays strict: unknown, missing and retyped fields are reported', () => {
    const ended = one('queries_ended');
    const { endTime: _, ...withoutEndTime } = ended;
    expect(formatProblems([{ ...ended, surprise: 1 }])).toEqual(['queries_ended.surprise: not in the golden vector (1 records)']);
    expect(formatProblems([withoutEndTime])).toEqual(['queries_ended.endTime: missing (1 records)']);
    expect(formatProblems([{ ...ended, queryId: 7 }])).toEqual(['queries_ended.queryId: number, golden has string (1 records)']);
    expect(formatProblems([{ ...ended, name: 'nope' }])).toEqual(['nope: no golden vector (1 records)']);
  });

  it('docs/kafka-records.md lists every optional field', () => {
    const doc = readFileSync(join(ROOT, 'docs/kafka-records.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Optional fields'), doc.indexOf('## `protobuf` encoding'));
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| record') && !l.startsWith('|---'));
    const documented = new Map<string, string>();
    for (const row of rows) {
      const [records, fields] = row.split('|').slice(1, 3).map((c) => c.trim());
      for (const r of records.split(',').map((x) => x.trim())) documented.set(r, `${documented.get(r) ?? ''} ${fields}`);
    }
    for (const v of vectors) {
      for (const [name, fields] of Object.entries(v.optional)) {
        for (const f of Object.keys(fields)) {
          // task_metrics' metric fields are documented as one group.
          if (name === 'task_metrics' && f !== 'endReasonMessage') continue;
          expect(documented.get(name) ?? '', `${name}.${f}`).toContain(f);
        }
      }
    }
  });
});
