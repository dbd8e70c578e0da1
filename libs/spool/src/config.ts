// The spool's configuration: the sidecar's `spool` section (docs/reliability.md). The
// schema is where its defaults live; whether the spool runs and where, when unset, depend
// on the rest of the configuration and are decided by the SDK.
import { z } from 'zod';

const MiB = 1024 * 1024;
const positive = z.number().int().positive();

export const spoolConfigSchema = z.strictObject({
  enabled: z.boolean().optional().describe("Durable spool on disk between ingest and Kafka; unset: on when Kafka is configured."),
  dir: z.string().min(1).optional().describe("Spool directory (one sidecar per directory); unset: <state dir>/spool/<host>_<port> of the gRPC server (a per-process one with server.port 0), the state directory being $SPARKWIRE_STATE_DIR, else $XDG_STATE_HOME/sparkwire, else ~/.local/state/sparkwire."),
  maxBytes: positive.default(1024 * MiB).describe("Cap on the spool on disk; at the cap batches are refused with UNAVAILABLE until Kafka takes some."),
  segmentBytes: positive.min(64 * 1024).default(64 * MiB).describe("Spool segment file size; at most spool.maxBytes/4."),
  fsync: z.enum(['batch', 'interval']).default('batch').describe("batch: fdatasync before each ack (group commit); interval: ack after write(), fdatasync every fsyncIntervalMs."),
  fsyncIntervalMs: positive.max(60_000).default(200).describe("fdatasync period with spool.fsync interval (power loss can lose that window)."),
  cacheBytes: z.number().int().min(0).default(32 * MiB).describe("Appended batches kept in memory for publishing; beyond it they are read back from disk."),
  deadLetterMaxBytes: positive.default(1024 * MiB).describe("Cap of the dead-letter store (records Kafka refused after they were acked); at the cap a refused record waits as in an outage."),
});

export type SpoolConfig = z.output<typeof spoolConfigSchema>;
export type SpoolConfigInput = z.input<typeof spoolConfigSchema>;

/** The settings SpoolingSink takes straight from the section (the rest come from the sink behind it and the pipeline). */
export type SpoolSectionSettings = Pick<SpoolConfig, 'maxBytes' | 'segmentBytes' | 'fsync' | 'fsyncIntervalMs'> &
  // Optional for spools built by hand (tests, tools).
  Partial<Pick<SpoolConfig, 'cacheBytes' | 'deadLetterMaxBytes'>>;

/** Checks across the section's settings, paths relative to it (run by the SDK once every section parsed). */
export function spoolConfigIssues(c: SpoolConfig): { path: string[]; message: string }[] {
  if (c.segmentBytes * 4 > c.maxBytes) return [{ path: ['segmentBytes'], message: 'must be at most spool.maxBytes / 4' }];
  return [];
}

/** The part of SpoolOptions a parsed section gives. */
export function spoolSectionSettings(c: SpoolConfig): Required<SpoolSectionSettings> {
  return { maxBytes: c.maxBytes, segmentBytes: c.segmentBytes, fsync: c.fsync, fsyncIntervalMs: c.fsyncIntervalMs, cacheBytes: c.cacheBytes, deadLetterMaxBytes: c.deadLetterMaxBytes };
}
