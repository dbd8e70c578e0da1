// Where configuration values come from, lowest precedence first: defaults (in the schema),
// a YAML or JSON file (--config / SPARKWIRE_CONFIG), SPARKWIRE_* environment variables,
// then command-line flags. Every leaf of the schema gets a flag and a variable, derived
// from its path: kafka.maxBatchRecords <-> --kafka-max-batch-records <->
// SPARKWIRE_KAFKA_MAX_BATCH_RECORDS. Anything unknown is an error naming it.
import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import { configSchema, ConfigError } from '@sparkwire/sdk';
import { STATE_DIR_ENV } from '@sparkwire/spool';
import { loadPackage } from './load-package';

export type LeafKind = 'string' | 'number' | 'boolean' | 'enum' | 'array';

export interface Setting {
  path: string[];
  key: string;
  flag: string;
  env: string;
  kind: LeafKind;
  choices?: string[];
  description?: string;
}

type AnySchema = { _zod: { def: Record<string, any> }; shape?: Record<string, AnySchema>; description?: string };

function unwrap(s: AnySchema): AnySchema {
  let t = s;
  while (['default', 'optional', 'prefault', 'nullable'].includes(t._zod.def.type)) t = t._zod.def.innerType;
  return t;
}

function collect(schema: AnySchema, path: string[]): Setting[] {
  const t = unwrap(schema);
  const def = t._zod.def;
  if (def.type === 'object') {
    return Object.entries(def.shape as Record<string, AnySchema>).flatMap(([k, v]) => collect(v, [...path, k]));
  }
  const kind = (['string', 'number', 'boolean', 'enum', 'array'].includes(def.type) ? def.type : 'string') as LeafKind;
  const kebab = path.map((p) => p.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join('-');
  return [
    {
      path,
      key: path.join('.'),
      flag: `--${kebab}`,
      env: `SPARKWIRE_${kebab.replace(/-/g, '_').toUpperCase()}`,
      kind,
      choices: def.type === 'enum' ? Object.values(def.entries as Record<string, string>) : undefined,
      description: schema.description ?? t.description,
    },
  ];
}

/** Every configurable value, in schema order. */
export const SETTINGS: Setting[] = collect(configSchema as unknown as AnySchema, []);

const CONFIG_FILE_ENV = 'SPARKWIRE_CONFIG';

/** Turns a text value (flag or variable) into the type the schema expects. */
export function convert(s: Setting, raw: string, source: string): unknown {
  switch (s.kind) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${s.key}: ${JSON.stringify(raw)} from ${source} is not a number`, s.key);
      return n;
    }
    case 'boolean': {
      const v = raw.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw new ConfigError(`${s.key}: ${JSON.stringify(raw)} from ${source} is not a boolean (true/false)`, s.key);
    }
    case 'array':
      return raw
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`, 'config');
  }
  const yaml = loadPackage<typeof Yaml>('yaml', `config file ${path}`, () => require('yaml'));
  let data: unknown;
  try {
    data = yaml.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path}: not valid YAML or JSON: ${(err as Error).message}`, 'config');
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`config file ${path}: must hold an object`, 'config');
  return data as Record<string, unknown>;
}

export function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const byName = new Map(SETTINGS.map((s) => [s.env, s]));
  for (const [name, raw] of Object.entries(env)) {
    // Not settings: the file of them, and the state directory an unset spool.dir is under.
    if (!name.startsWith('SPARKWIRE_') || name === CONFIG_FILE_ENV || name === STATE_DIR_ENV || raw === undefined) continue;
    const s = byName.get(name);
    if (!s) throw new ConfigError(`unknown environment variable ${name}`, name);
    setPath(out, s.path, convert(s, raw, name));
  }
  return out;
}

/** Flags as parsed by the CLI: setting key -> raw text. */
export function fromFlags(flags: Map<Setting, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [s, raw] of flags) setPath(out, s.path, convert(s, raw, s.flag));
  return out;
}

export function configFilePath(flagValue: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return flagValue ?? env[CONFIG_FILE_ENV];
}

/** Layers sources over each other; later ones win, objects merge key by key. */
export function mergeSources(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) deepMerge(out, layer);
  return out;
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (isPlainObject(v) && isPlainObject(cur)) deepMerge(cur, v);
    else into[k] = isPlainObject(v) ? mergeSources(v) : v;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}
