// The golden format: field names and JSON types of each record name, taken from the golden
// vectors in proto/golden (the encoder's reference output, see docs/kafka-records.md). Each
// vector also says which fields of its records are optional ("optional": record name ->
// field -> JSON type): written only when the event has them, so a record may lack them.
// Everything else is strict: every other field always there, nothing unknown, same types.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness';

export type JsonType = 'null' | 'array' | 'object' | 'number' | 'string' | 'boolean';
const jsonType = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));

/** appLabels.<label> fields are named after the application's labels: one shape for all. */
const fieldKey = (k: string) => (k.startsWith('appLabels.') ? 'appLabels.*' : k);

export interface GoldenShape {
  /** field -> JSON type: every field a record of this name may have. */
  fields: Map<string, JsonType>;
  /** Fields a record may lack (the vectors' "optional"). */
  optional: Set<string>;
}

/** record name -> its fields and which are optional, from every golden vector. */
export function goldenShapes(): Map<string, GoldenShape> {
  const dir = join(ROOT, 'proto/golden');
  const out = new Map<string, GoldenShape>();
  const shapeOf = (name: string) => {
    let s = out.get(name);
    if (!s) out.set(name, (s = { fields: new Map(), optional: new Set() }));
    return s;
  };
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const g = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { records: Record<string, unknown>[]; optional?: Record<string, Record<string, JsonType>> };
    for (const rec of g.records) {
      const shape = shapeOf(rec.name as string);
      for (const [k, v] of Object.entries(rec)) if (!shape.fields.has(fieldKey(k))) shape.fields.set(fieldKey(k), jsonType(v));
    }
    for (const [name, fields] of Object.entries(g.optional ?? {})) {
      const shape = shapeOf(name);
      for (const [k, t] of Object.entries(fields)) {
        const known = shape.fields.get(k);
        if (known && known !== t) throw new Error(`${f}: optional ${name}.${k} is ${t}, a vector has it as ${known}`);
        shape.fields.set(k, t);
        shape.optional.add(k);
      }
    }
  }
  return out;
}

/**
 * Every record's fields against the golden vectors of its name: no unknown field, every
 * field present except those the vectors say are optional, the same JSON type for each
 * (optional ones too, when present). Returns the differences, one per (name, field,
 * problem), with how many records showed it.
 */
export function formatProblems(records: Record<string, unknown>[]): string[] {
  const shapes = goldenShapes();
  const problems = new Map<string, number>();
  const note = (p: string) => problems.set(p, (problems.get(p) ?? 0) + 1);
  for (const r of records) {
    const name = r.name as string;
    const shape = shapes.get(name);
    if (!shape) {
      note(`${name}: no golden vector`);
      continue;
    }
    const fields = new Map(Object.entries(r).map(([k, v]) => [fieldKey(k), v]));
    for (const [k, t] of shape.fields) {
      if (!fields.has(k)) {
        if (!shape.optional.has(k)) note(`${name}.${k}: missing`);
      } else if (jsonType(fields.get(k)) !== t) note(`${name}.${k}: ${jsonType(fields.get(k))}, golden has ${t}`);
    }
    for (const k of fields.keys()) if (!shape.fields.has(k)) note(`${name}.${k}: not in the golden vector`);
  }
  return [...problems].map(([p, n]) => `${p} (${n} records)`);
}

/**
 * For each record name, how many of the records carry each of its optional fields: what a Spark
 * line reports or not (e.g. applications_ended.exitCode, which Spark 3.5 does not have).
 */
export function optionalFieldsPresent(records: Record<string, unknown>[]): Record<string, Record<string, number>> {
  const shapes = goldenShapes();
  const out: Record<string, Record<string, number>> = {};
  for (const r of records) {
    const name = r.name as string;
    for (const k of shapes.get(name)?.optional ?? []) {
      const byField = (out[name] ??= Object.fromEntries([...shapes.get(name)!.optional].map((f) => [f, 0])));
      if (k in r) byField[k]++;
    }
  }
  return out;
}
