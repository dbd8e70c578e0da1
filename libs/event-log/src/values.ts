// Field readers shared by the event mappers, for values JsonProtocol and Jackson write in
// more than one shape (property lists as pairs or objects, optional longs, ISO times), and the
// listener's text limits.
import { long, str } from './json';

export const MAX_MESSAGE_CHARS = 4_096;
export const MAX_TEXT_CHARS = 16_384;

export function truncate(s: unknown, max: number): string {
  if (s === null || s === undefined) return '';
  const t = String(s);
  if (t.length <= max) return t;
  let end = max;
  const c = t.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${t.slice(0, end)}...`;
}

export function toMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const kv of v) if (Array.isArray(kv) && kv.length === 2 && kv[1] !== null) out[str(kv[0])] = str(kv[1]);
  } else if (v && typeof v === 'object') {
    for (const [k, val] of Object.entries(v)) if (val !== null && val !== undefined) out[k] = str(val);
  }
  return out;
}

export function parseIso(v: unknown): bigint | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : BigInt(ms);
}

export function optLong(v: unknown): bigint | undefined {
  return v === undefined || v === null ? undefined : long(v);
}
