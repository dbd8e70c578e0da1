// CRC-32 (IEEE 802.3, the zlib/PNG/gzip polynomial) of every spool entry. @node-rs/crc32 (a
// dependency of this package and of the Kafka library, a SIMD CRC) where it loads: 0.085 ns per byte on 400 KB
// entries against 0.23 for node:zlib's (Node 20.20.2, this machine); else node:zlib's (Node
// 20.15+); else the classic table-driven version. All give the same values (a test checks
// them against known vectors and each other).
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, value?: number) => number;

let table: Uint32Array | undefined;

/** Table-driven CRC-32, byte at a time. Only used when node:zlib has no crc32. */
export function crc32Table(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function loadNodeRs(): Crc32 | undefined {
  try {
    // A require() of our own making: a bundler leaves it to run time (the package has a .node file).
    const f = (createRequire(import.meta.url)('@node-rs/crc32') as { crc32?: Crc32 }).crc32;
    return typeof f === 'function' ? f : undefined;
  } catch {
    return undefined; // not installed (the standalone bundle), or no binary for this platform
  }
}

const nodeRs = loadNodeRs();
const zlibCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** Which implementation crc32() is. */
export const crc32Implementation: 'node-rs' | 'node:zlib' | 'table' = nodeRs ? 'node-rs' : zlibCrc32 ? 'node:zlib' : 'table';

/** CRC-32 of data, continuing from value (0 to start). */
export const crc32: Crc32 = nodeRs ? (data, value = 0) => nodeRs(data, value) >>> 0 : zlibCrc32 ? (data, value = 0) => zlibCrc32(data, value) >>> 0 : crc32Table;
