// Spool options for tests of the spool itself: small segments and batches, so a test reaches
// segment rolls, group commits and the drainer's chunking with a few hundred records.
import type { SpoolOptions } from '@sparkwire/spool';

export function spoolTestOptions(dir: string, o: Partial<SpoolOptions> = {}): SpoolOptions {
  return {
    dir,
    maxBytes: 10 * 1024 * 1024,
    segmentBytes: 64 * 1024,
    fsync: 'batch',
    fsyncIntervalMs: 50,
    publishMaxRecords: 500,
    publishMaxBytes: 256 * 1024,
    closeDrainMs: 2000,
    ...o,
  };
}
