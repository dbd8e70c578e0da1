import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, 'fixtures');
/** The single file (or rolling folder) under fixtures/<name>. */
export function fixture(name: 'plain' | 'zstd' | 'lz4' | 'snappy' | 'rolling'): string {
  const dir = join(FIXTURES, name);
  const [entry] = readdirSync(dir).filter((n) => !n.startsWith('.'));
  return join(dir, entry);
}
/** The uncompressed events file of the plain (rolling folder) fixture. */
export function plainEventsFile(): string {
  const dir = fixture('plain');
  return join(dir, readdirSync(dir).find((n) => n.startsWith('events_'))!);
}
