// One event log -> sparkwire.v1 SparkEvents, counting what was read, mapped, skipped and bad.
import type { SparkEvent } from '@sparkwire/proto';
import { parseLine } from './json';
import { EventLogMapper } from './mapper';
import { readLines, type EventLogSource, type ReadProgress, type StreamProblem } from './reader';

export interface BadLine {
  file: string;
  line: number;
  error: string;
}

export interface LogStats {
  /** Lines read (events in the log, bad lines included; blank lines not). */
  read: number;
  /** Events mapped to a sparkwire event. */
  mapped: number;
  /** Events sparkwire does not carry (block manager, executor metrics, ...), by Spark event name. */
  skipped: Record<string, number>;
  /** Events read only for context (SparkListenerLogStart, SparkListenerEnvironmentUpdate). */
  context: number;
  badLines: number;
  /** Bad lines reported (the first 1,000; the count has them all). */
  bad: BadLine[];
  /** Stream-level problems (an in-progress log ending inside a compressed block). */
  problems: StreamProblem[];
}

export function newStats(): LogStats {
  return { read: 0, mapped: 0, skipped: {}, context: 0, badLines: 0, bad: [], problems: [] };
}

const MAX_BAD_KEPT = 1_000;

/**
 * Reads and maps one log, yielding its events in log order in batches of at most `batchSize`.
 * onBadLine sees each truncated or corrupt line (file, 1-based line number, why), which is
 * then skipped.
 */
export async function* mapEventLog(
  src: EventLogSource,
  stats: LogStats,
  opts: { batchSize?: number; progress?: ReadProgress; onBadLine?: (b: BadLine) => void } = {},
): AsyncGenerator<SparkEvent[]> {
  const batchSize = opts.batchSize ?? 500;
  const mapper = new EventLogMapper(src.appIdFromName);
  let batch: SparkEvent[] = [];
  for await (const l of readLines(src, opts.progress, stats.problems)) {
    if (l.text.trim() === '') continue;
    stats.read++;
    let ev;
    try {
      ev = parseLine(l.text);
      if (typeof ev.Event !== 'string') throw new Error('no "Event" field');
    } catch (err) {
      stats.badLines++;
      const b = { file: l.file, line: l.line, error: `${(err as Error).message}${l.text.length > 80 ? ` (line starts ${JSON.stringify(l.text.slice(0, 80))})` : ` (${JSON.stringify(l.text)})`}` };
      if (stats.bad.length < MAX_BAD_KEPT) stats.bad.push(b);
      opts.onBadLine?.(b);
      continue;
    }
    const r = mapper.map(ev, l.position);
    if (r === 'context') stats.context++;
    else if (r === 'skipped') stats.skipped[ev.Event] = (stats.skipped[ev.Event] ?? 0) + 1;
    else {
      stats.mapped++;
      for (const e of r) {
        batch.push(e);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  batch.push(...mapper.finish());
  if (batch.length) yield batch;
}
