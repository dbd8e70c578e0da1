// Spark's event-log codecs as streaming decoders (pure JavaScript, nothing native):
// - zstd: zstd-jni's ZstdOutputStream writes standard zstd frames -> fzstd;
// - lz4: lz4-java's LZ4BlockOutputStream framing ("LZ4Block" + method/level, compressed and
//   original length, checksum, then a raw LZ4 block) -> lz4js.decompressBlock per block;
// - snappy: snappy-java's SnappyOutputStream framing (16-byte header "\x82SNAPPY\0" + two
//   versions, then chunks of 4-byte big-endian length + raw snappy data) -> snappyjs.
// An in-progress log may end inside a block: end() says so instead of inventing data.
import { Decompress } from 'fzstd';
import lz4 from 'lz4js';
import snappy from 'snappyjs';

export type Codec = 'none' | 'zstd' | 'lz4' | 'snappy';
export const SUPPORTED_CODECS: readonly Codec[] = ['zstd', 'lz4', 'snappy'];

export interface Decoder {
  /** Decoded bytes for this chunk of the file (possibly none yet). */
  push(chunk: Uint8Array): Uint8Array[];
  /** At the end of the file: '' when the stream ended cleanly, else why not. */
  end(): string;
}

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const LZ4_MAGIC = [...Buffer.from('LZ4Block')];
const SNAPPY_MAGIC = [0x82, ...Buffer.from('SNAPPY'), 0];

function startsWith(b: Uint8Array, magic: number[], at = 0): boolean {
  if (b.length - at < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[at + i] !== magic[i]) return false;
  return true;
}

/** The codec a file's first bytes announce ('none' when none does). */
export function sniffCodec(head: Uint8Array): Codec {
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  if (startsWith(head, LZ4_MAGIC)) return 'lz4';
  if (startsWith(head, SNAPPY_MAGIC)) return 'snappy';
  return 'none';
}

export function createDecoder(codec: Codec): Decoder {
  switch (codec) {
    case 'none':
      return { push: (c) => [c], end: () => '' };
    case 'zstd':
      return zstdDecoder();
    case 'lz4':
      return new FramedDecoder(lz4Block);
    case 'snappy':
      return new FramedDecoder(snappyChunk);
  }
}

function zstdDecoder(): Decoder {
  const out: Uint8Array[] = [];
  const d = new Decompress((chunk) => out.push(chunk));
  let pushed = 0;
  return {
    push(chunk) {
      pushed += chunk.length;
      d.push(chunk);
      return out.splice(0);
    },
    end() {
      if (pushed === 0) return '';
      try {
        d.push(new Uint8Array(0), true);
        return '';
      } catch (err) {
        return `the zstd stream ends early (${(err as Error).message}; an in-progress log?)`;
      }
    },
  };
}

/** A parser of one framed unit at the start of buf: consumed bytes and output, or undefined when more bytes are needed. */
type Unit = (buf: Buffer) => { used: number; out?: Uint8Array } | undefined;

class FramedDecoder implements Decoder {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly unit: Unit) {}
  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: Uint8Array[] = [];
    let off = 0;
    for (;;) {
      const r = this.unit(this.buf.subarray(off));
      if (!r) break;
      off += r.used;
      if (r.out && r.out.length) out.push(r.out);
    }
    this.buf = Buffer.from(this.buf.subarray(off));
    return out;
  }
  end(): string {
    return this.buf.length ? `the compressed stream ends inside a block (${this.buf.length} bytes left; an in-progress log?)` : '';
  }
}

const LZ4_HEADER = 8 + 1 + 4 + 4 + 4;

const lz4Block: Unit = (b) => {
  if (b.length < LZ4_HEADER) return undefined;
  if (!startsWith(b, LZ4_MAGIC)) throw new Error('not an LZ4Block stream (bad block magic)');
  const method = b[8] & 0xf0;
  const compressed = b.readInt32LE(9);
  const original = b.readInt32LE(13);
  if (compressed < 0 || original < 0) throw new Error('corrupt LZ4 block header');
  if (b.length < LZ4_HEADER + compressed) return undefined;
  const data = b.subarray(LZ4_HEADER, LZ4_HEADER + compressed);
  if (original === 0) return { used: LZ4_HEADER + compressed }; // end mark (another stream may follow)
  if (method === 0x10) return { used: LZ4_HEADER + compressed, out: Uint8Array.from(data) };
  if (method !== 0x20) throw new Error(`unknown LZ4 block method 0x${method.toString(16)}`);
  const dst = new Uint8Array(original);
  const n = lz4.decompressBlock(data, dst, 0, compressed, 0);
  if (n !== original) throw new Error(`corrupt LZ4 block (${n} of ${original} bytes)`);
  return { used: LZ4_HEADER + compressed, out: dst };
};

const snappyChunk: Unit = (b) => {
  if (startsWith(b, SNAPPY_MAGIC)) return b.length >= 16 ? { used: 16 } : undefined;
  if (b.length < 8 && SNAPPY_MAGIC.slice(0, b.length).every((x, i) => b[i] === x)) return undefined;
  if (b.length < 4) return undefined;
  const len = b.readInt32BE(0);
  if (len < 0) throw new Error('corrupt snappy chunk length');
  if (b.length < 4 + len) return undefined;
  const out = snappy.uncompress(Uint8Array.from(b.subarray(4, 4 + len))) as Uint8Array;
  return { used: 4 + len, out };
};
