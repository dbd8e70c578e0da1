// CRC-32 (IEEE 802.3, the zlib/PNG/gzip polynomial) of every spool entry. Node 20.15+ has
// it natively in node:zlib; older runtimes get the classic table-driven version, which
// gives the same values (a test checks both against known vectors).
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

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** CRC-32 of data, continuing from value (0 to start). */
export const crc32: Crc32 = native ? (data, value = 0) => native(data, value) >>> 0 : crc32Table;
