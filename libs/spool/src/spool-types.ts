// The spool's public shapes: what SpoolingSink takes (options, logger, event hooks) and what
// it reports (stats, the drainer's state), apart from the sink itself so readers of the stats
// (metrics, health, the status page) need not read the sink.
import type { ComponentLogger } from '@sparkwire/pipeline';
import type { SpoolSectionSettings } from './config';
import type { CorruptionReport } from './recovery';
import type { DeadLetterEntry } from './dead-letter';

/** The section's settings (config.ts) and what the sink behind the spool and the pipeline decide. */
export interface SpoolOptions extends SpoolSectionSettings {
  dir: string;
  /** Most records / bytes per publish to the inner sink (use the Kafka sink's request limits). */
  publishMaxRecords: number;
  publishMaxBytes: number;
  /** Event ids recovered at start for dedupe (the pipeline's event window). */
  recoverEventIds?: number;
  /** How long close() keeps publishing before it leaves the rest in the spool. */
  closeDrainMs?: number;
  /** Start of the read-back window after a restart, before the last checkpoint (clock margin). */
  readbackMarginMs?: number;
  readbackLimit?: number;
  /** Remove the directory itself when close() leaves the spool empty (a per-process directory). */
  removeDirWhenDrained?: boolean;
  /**
   * Hand the inner sink every record value as bytes (a view of the spooled entry), text ones
   * too, instead of the strings the pipeline wrote: for a sink that sends bytes anyway (Kafka),
   * which then neither encodes nor measures them again. Not for a sink that writes text values
   * as text (the file sink). Default false.
   */
  valuesAsBytes?: boolean;
}

export type SpoolLogger = ComponentLogger;

export interface SpoolEvents {
  /** The spool started or stopped accepting (the byte cap), for health. */
  onAcceptingChange?: (accepting: boolean) => void;
  /** Damage found in the spool (at start or while reading). */
  onCorruption?: (report: CorruptionReport) => void;
  /** Records Kafka refused were set aside in the dead-letter store (already durable in `file`). */
  onDeadLetter?: (entries: DeadLetterEntry[], file: string) => void;
}

export interface SpoolStats {
  accepting: boolean;
  innerReady: boolean;
  bytes: number;
  maxBytes: number;
  segments: number;
  appendedEntries: number;
  /** Entries appended but not yet acked by the inner sink. */
  pendingEntries: number;
  publishedEntries: number;
  publishedRecords: number;
  publishFailures: number;
  /** Age of the oldest entry not yet published, ms (0 when none). */
  oldestPendingMs: number;
  fsyncs: number;
  checkpoints: number;
  cacheHits: number;
  diskReads: number;
  corruption: number;
  recovered: { entries: number; records: number; skippedAlreadyPublished: number };
  lastPublishError?: string;
  /** The dead-letter store: records set aside by this process, files and bytes in it now. */
  deadLetter: { records: number; files: number; bytes: number };
  /** When lastPublishError happened (ms since the epoch). */
  lastPublishErrorMs?: number;
  /** What the drainer is doing (health and metrics show it). */
  drainer: DrainerState;
}

/**
 * idle: nothing to publish. draining: publishing. reading_back: checking what the last process
 * already published (after a crash). waiting_for_kafka: entries wait, the sink is unreachable.
 * backing_off: the last publish failed, it is retried after a pause. stopped: closed.
 */
export type DrainerState = 'idle' | 'draining' | 'reading_back' | 'waiting_for_kafka' | 'backing_off' | 'stopped';
export const DRAINER_STATES: DrainerState[] = ['idle', 'draining', 'reading_back', 'waiting_for_kafka', 'backing_off', 'stopped'];
