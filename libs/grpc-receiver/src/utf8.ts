// UTF-8 validation as protobuf's reference decoder applies it to string fields: no overlong
// forms, no UTF-16 surrogates, nothing past U+10FFFF. Offsets, not just a verdict, so a
// refusal can say which byte is wrong.
import { isUtf8 } from 'node:buffer';

/** True when bytes [from, to) are valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
export function utf8Valid(buf: Uint8Array, from: number, to: number): boolean {
  let i = from;
  while (i < to && buf[i] < 0x80) i++;
  if (i === to) return true;
  // Long non-ASCII text: the native (SIMD) check; a view costs more than short strings take.
  if (to - i >= 64) return isUtf8(buf.subarray(i, to));
  return firstInvalidUtf8(buf, i, to) < 0;
}

/** Offset of the first byte of invalid UTF-8 in [from, to), or -1. */
export function firstInvalidUtf8(buf: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b < 0xc2) return i; // continuation byte, or an overlong 2-byte lead (C0, C1)
    if (b < 0xe0) {
      if (i + 1 >= to || (buf[i + 1] & 0xc0) !== 0x80) return i;
      i += 2;
      continue;
    }
    if (b < 0xf0) {
      if (i + 2 >= to) return i;
      const b1 = buf[i + 1];
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2] & 0xc0) !== 0x80) return i;
      if (b === 0xe0 && b1 < 0xa0) return i; // overlong
      if (b === 0xed && b1 >= 0xa0) return i; // UTF-16 surrogate
      i += 3;
      continue;
    }
    if (b < 0xf5) {
      if (i + 3 >= to) return i;
      const b1 = buf[i + 1];
      if ((b1 & 0xc0) !== 0x80 || (buf[i + 2] & 0xc0) !== 0x80 || (buf[i + 3] & 0xc0) !== 0x80) return i;
      if (b === 0xf0 && b1 < 0x90) return i; // overlong
      if (b === 0xf4 && b1 >= 0x90) return i; // past U+10FFFF
      i += 4;
      continue;
    }
    return i;
  }
  return -1;
}
