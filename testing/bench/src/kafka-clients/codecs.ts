// Codecs the pure-JS clients can be given: lz4 through lz4js (pure JS, already a
// dependency of libs/event-log; LZ4 frame format, what Kafka's lz4 codec is) and zstd
// through node:zlib (built in since Node 22.15 / 23.8).
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const require = createRequire(import.meta.url);

interface Lz4js {
  compress(src: Uint8Array, maxSize?: number): Uint8Array | number[];
  decompress(src: Uint8Array, maxSize?: number): Uint8Array | number[];
}

/**
 * lz4 frames from lz4js that Kafka accepts. lz4js writes frames without the "block
 * independence" flag, which Kafka's lz4 reader refuses (the broker answers
 * UNKNOWN_SERVER_ERROR to every produce request); its frames hold one block (up to 4 MB,
 * more than a produce request), so setting the flag (and the header checksum over it) says
 * nothing untrue.
 */
export function lz4js(): { compress: (b: Buffer) => Buffer; decompress: (b: Buffer) => Buffer } | undefined {
  let lz4: Lz4js;
  let xxh32: (seed: number, src: Uint8Array, start: number, len: number) => number;
  try {
    lz4 = require('lz4js') as Lz4js;
    xxh32 = (require('lz4js/xxh32.js') as { hash: typeof xxh32 }).hash;
  } catch {
    return undefined;
  }
  return {
    compress(b) {
      const out = Buffer.from(lz4.compress(b));
      out[4] |= 0x20;
      out[6] = (xxh32(0, out, 4, 2) >> 8) & 0xff;
      return out;
    },
    decompress: (b) => Buffer.from(lz4.decompress(b)),
  };
}

interface ZstdZlib {
  zstdCompressSync?: (b: Buffer) => Buffer;
  zstdDecompressSync?: (b: Buffer) => Buffer;
}

export function zlibZstd(): { compress: (b: Buffer) => Buffer; decompress: (b: Buffer) => Buffer } | undefined {
  const z = zlib as unknown as ZstdZlib;
  if (typeof z.zstdCompressSync !== 'function' || typeof z.zstdDecompressSync !== 'function') return undefined;
  return { compress: z.zstdCompressSync, decompress: z.zstdDecompressSync };
}

/** The installed version of a package (read from node_modules: exports maps hide package.json), or undefined. */
export function packageVersion(pkg: string): string | undefined {
  for (let dir = path.dirname(new URL(import.meta.url).pathname); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return undefined;
  }
}
