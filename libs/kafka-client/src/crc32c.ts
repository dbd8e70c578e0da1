// CRC-32C of a record batch (record-batch.ts): the CRC Kafka's magic-2 batches carry.
//
// @platformatic/kafka's crc32c already uses @node-rs/crc32 (a hardware CRC, one of its own
// dependencies, and one of this package's) when it loads, but hands it
// `new Uint8Array(buffer)`, a copy of the whole batch: 0.72 ns per byte on 400 KB batches against 0.20 for @node-rs/crc32 called on
// the Buffer itself (Node 20.20.2, this machine; the library's WebAssembly fallback 0.68),
// about 0.5 us of the sidecar's CPU per json task event. Without the native package (the
// standalone bundle has no node_modules) the library's own function is used.
import { createRequire } from 'node:module';

export type Crc32c = (data: Buffer) => number;

interface NodeRsCrc32 {
  crc32c(data: Buffer, initial?: number): number;
}

/**
 * The hardware CRC-32C of @node-rs/crc32 when it loads, else `fallback` (the Kafka library's).
 * `load` is Node's require() of this module's place (a bundler leaves a require of our own
 * making to run time, which the package's .node file needs).
 */
export function loadCrc32c(fallback: Crc32c, load: (id: string) => unknown = createRequire(import.meta.url)): { crc32c: Crc32c; implementation: 'native' | 'library' } {
  try {
    const native = (load('@node-rs/crc32') as NodeRsCrc32).crc32c;
    if (typeof native === 'function') return { crc32c: (b) => native(b), implementation: 'native' };
  } catch {
    // Not installed, or no binary for this platform: the library's function gives the same values.
  }
  return { crc32c: fallback, implementation: 'library' };
}
