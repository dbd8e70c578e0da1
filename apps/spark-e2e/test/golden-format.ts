// The golden format: field names and JSON types of each record name, taken from the golden
// vectors in proto/golden (the encoder's reference output, see docs/kafka-records.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness';

export type JsonType = 'null' | 'array' | 'object' | 'number' | 'string' | 'boolean';
const jsonType = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));

/** appLabels.<label> fields are named after the application's labels: one shape for all. */
const fieldKey = (k: string) => (k.startsWith('appLabels.') ? 'appLabels.*' : k);

/** record name -> field -> JSON type, from every golden vector. */
export function goldenShapes(): Map<string, Map<string, JsonType>> {
  const dir = join(ROOT, 'proto/golden');
  const out = new Map<string, Map<string, JsonType>>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    for (const rec of JSON.parse(readFileSync(join(dir, f), 'utf8')).records as Record<string, unknown>[]) {
      const shape = out.get(rec.name as string) ?? new Map<string, JsonType>();
      for (const [k, v] of Object.entries(rec)) if (!shape.has(fieldKey(k))) shape.set(fieldKey(k), jsonType(v));
      out.set(rec.name as string, shape);
    }
  }
  return out;
}

/**
 * Every record's fields against the golden vector of its name: no unknown field, every
 * field of the vector present (except `optional` ones, which the encoder writes only when
 * the event has them), the same JSON type for each. Returns the differences, one per
 * (name, field, problem), with how many records showed it.
 */
export function formatProblems(
  records: Record<string, unknown>[],
  optional: Record<string, string[]> = {},
  extra: Record<string, Record<string, JsonType>> = {},
): string[] {
  const shapes = goldenShapes();
  // Documented fields the golden events happen not to have: optional, with their type.
  for (const [name, fields] of Object.entries(extra)) {
    for (const [k, t] of Object.entries(fields)) shapes.get(name)?.set(k, t);
    optional = { ...optional, [name]: [...(optional[name] ?? []), ...Object.keys(fields)] };
  }
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
    for (const [k, t] of shape) {
      if (!fields.has(k)) {
        if (!(optional[name] ?? []).includes(k)) note(`${name}.${k}: missing`);
      } else if (jsonType(fields.get(k)) !== t) note(`${name}.${k}: ${jsonType(fields.get(k))}, golden has ${t}`);
    }
    for (const k of fields.keys()) if (!shape.has(k)) note(`${name}.${k}: not in the golden vector`);
  }
  return [...problems].map(([p, n]) => `${p} (${n} records)`);
}
