// Finding and reading Spark event logs: a single file `<appId>[_<attempt>][.<codec>][.inprogress]`,
// a rolling log folder `eventlog_v2_<appId>` (`events_<n>_<appId>[.<codec>][.inprogress]` in
// index order, from the last `.compact` file on, `appstatus_*` ignored), or a folder of those
// (spark.eventLog.dir, History Server storage). Lines come with their file, line number and
// position in the whole log (the position makes replayed event ids deterministic).
import { createReadStream, readdirSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createDecoder, sniffCodec, SUPPORTED_CODECS, type Codec } from './codecs';

export class EventLogError extends Error {
  constructor(
    readonly kind: 'missing' | 'unsupported-codec' | 'empty' | 'corrupt',
    message: string,
  ) {
    super(message);
  }
}

export interface LogFile {
  path: string;
  codec: Codec;
  bytes: number;
}

export interface EventLogSource {
  /** What the user named (a file or a rolling folder). */
  path: string;
  /** The application id the file name gives (used only when the log has no ApplicationStart). */
  appIdFromName: string;
  rolling: boolean;
  inProgress: boolean;
  files: LogFile[];
}

const SPARK_CODECS = new Set(['zstd', 'lz4', 'snappy', 'lzf']);

/** Splits `<base>[.<codec>][.inprogress]`; codec is undefined when the name has no suffix. */
export function parseLogName(name: string): { base: string; codec?: string; inProgress: boolean } {
  let n = name;
  const inProgress = n.endsWith('.inprogress');
  if (inProgress) n = n.slice(0, -'.inprogress'.length);
  const dot = n.lastIndexOf('.');
  if (dot > 0) return { base: n.slice(0, dot), codec: n.slice(dot + 1), inProgress };
  return { base: n, inProgress };
}

function codecOf(path: string, suffix: string | undefined): Codec {
  if (suffix === undefined) return sniff(path);
  if (suffix === 'zst') return 'zstd';
  if ((SUPPORTED_CODECS as readonly string[]).includes(suffix)) return suffix as Codec;
  throw new EventLogError('unsupported-codec', `${path}: unsupported event log codec "${suffix}" (supported: ${SUPPORTED_CODECS.join(', ')}, or none)`);
}

function sniff(path: string): Codec {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const n = readSync(fd, head, 0, 8, 0);
    return sniffCodec(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

function file(path: string, suffix: string | undefined): LogFile {
  return { path, codec: codecOf(path, suffix), bytes: statSync(path).size };
}

/** The event logs the given paths name, in order; throws EventLogError (missing path, unsupported codec). */
export function resolveLogs(paths: string[]): EventLogSource[] {
  const out: EventLogSource[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new EventLogError('missing', `${p}: no such file or directory`);
    }
    if (st.isFile()) {
      out.push(single(p));
    } else if (st.isDirectory()) {
      if (basename(p).startsWith('eventlog_v2_')) {
        out.push(rolling(p));
        continue;
      }
      const found: EventLogSource[] = [];
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        const child = join(p, name);
        const cst = statSync(child);
        if (cst.isDirectory() && name.startsWith('eventlog_v2_')) found.push(rolling(child));
        else if (cst.isFile()) {
          const { codec } = parseLogName(name);
          if (codec === undefined || SPARK_CODECS.has(codec) || codec === 'zst') found.push(single(child));
        }
      }
      if (found.length === 0) throw new EventLogError('empty', `${p}: no Spark event logs in this folder`);
      out.push(...found);
    } else {
      throw new EventLogError('missing', `${p}: not a file or folder`);
    }
  }
  return out;
}

function single(p: string): EventLogSource {
  const { base, codec, inProgress } = parseLogName(basename(p));
  return { path: p, appIdFromName: base, rolling: false, inProgress, files: [file(p, codec)] };
}

function rolling(dir: string): EventLogSource {
  const appId = basename(dir).slice('eventlog_v2_'.length);
  const parts: { index: number; compact: boolean; path: string; codec?: string; inProgress: boolean }[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^events_(\d+)_(.+)$/.exec(name);
    if (!m) continue; // appstatus_<appId>[.inprogress], .crc files
    let rest = name;
    const compact = rest.endsWith('.compact');
    if (compact) rest = rest.slice(0, -'.compact'.length);
    const { codec, inProgress } = parseLogName(rest);
    parts.push({ index: Number(m[1]), compact, path: join(dir, name), codec, inProgress });
  }
  parts.sort((a, b) => a.index - b.index);
  const lastCompact = parts.map((x) => x.compact).lastIndexOf(true);
  const used = lastCompact >= 0 ? parts.slice(lastCompact) : parts;
  if (used.length === 0) throw new EventLogError('empty', `${dir}: a rolling event log folder without events_* files`);
  let inProgress = false;
  try {
    inProgress = readdirSync(dir).some((n) => n.startsWith('appstatus_') && n.endsWith('.inprogress'));
  } catch {
    // unreadable: not in progress as far as we know
  }
  return { path: dir, appIdFromName: appId, rolling: true, inProgress, files: used.map((x) => file(x.path, x.codec)) };
}

export interface LogLine {
  file: string;
  /** 1-based line number in its file. */
  line: number;
  /** 0-based position of the line in the whole log (all files, in order). */
  position: number;
  text: string;
}

export interface ReadProgress {
  /** Bytes of the log's files read so far (compressed sizes). */
  bytesRead: number;
}

/** A problem with one file's stream that is not a bad line (e.g. an in-progress log ending inside a compressed block). */
export interface StreamProblem {
  file: string;
  message: string;
}

/**
 * Reads every line of a log, in order. A line is the bytes up to '\n' (a '\r' before it is
 * dropped); the last line of a file counts even without '\n' (a truncated write).
 */
export async function* readLines(src: EventLogSource, progress: ReadProgress = { bytesRead: 0 }, problems: StreamProblem[] = []): AsyncGenerator<LogLine> {
  let position = 0;
  const td = new TextDecoder('utf-8');
  for (const f of src.files) {
    const decoder = createDecoder(f.codec);
    let pending: Buffer[] = [];
    let pendingLen = 0;
    let lineNo = 0;
    const take = function* (chunk: Uint8Array): Generator<LogLine> {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        let bytes: Uint8Array = chunk.subarray(start, nl);
        if (pendingLen) {
          bytes = Buffer.concat([...pending, bytes]);
          pending = [];
          pendingLen = 0;
        }
        const end = bytes.length && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
        lineNo++;
        yield { file: f.path, line: lineNo, position: position++, text: td.decode(bytes.subarray(0, end)) };
        start = nl + 1;
      }
      if (start < chunk.length) {
        const rest = Buffer.from(chunk.subarray(start));
        pending.push(rest);
        pendingLen += rest.length;
      }
    };
    const stream = createReadStream(f.path, { highWaterMark: 256 * 1024 });
    for await (const raw of stream as AsyncIterable<Buffer>) {
      progress.bytesRead += raw.length;
      let decoded: Uint8Array[];
      try {
        decoded = decoder.push(raw);
      } catch (err) {
        stream.destroy();
        throw new EventLogError('corrupt', `${f.path}: cannot decode the ${f.codec} stream: ${(err as Error).message}`);
      }
      for (const d of decoded) yield* take(d);
    }
    const why = decoder.end();
    if (why) problems.push({ file: f.path, message: why });
    if (pendingLen) {
      lineNo++;
      yield { file: f.path, line: lineNo, position: position++, text: td.decode(Buffer.concat(pending)) };
    }
  }
}
