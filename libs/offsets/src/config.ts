// The offsets' configuration: the sidecar's `offsets` section (docs/offsets.md). The
// schema is where its defaults live. The offsets use the `kafka` section's connection,
// with settings of their own for how long a client waits on Kafka.
import { z } from 'zod';
import { kafkaConnectionSettings, type KafkaConnectionConfig, type KafkaConnectionSettings } from '@sparkwire/kafka-client';
import type { OffsetsConfig } from './offsets';

const positive = z.number().int().positive();

export const offsetsConfigSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Serve sparkwire.v1.OffsetsService and run the lag monitor (uses the kafka.* connection)."),
  defaultPolicy: z.enum(['earliest', 'latest']).default('earliest').describe("Where Fetch starts partitions without a committed offset, unless the request says."),
  groups: z.array(z.string().min(1)).default([]).describe("Groups the lag monitor follows from the start (it also follows every group committed to)."),
  lagPollMs: positive.min(100).default(5_000).describe("How often the lag monitor samples log-end and committed offsets."),
  lagWindowMs: positive.min(1_000).default(300_000).describe("Sliding window of the lag status rules: no commit for this long is STOPPED."),
  stallAfterMs: positive.min(500).default(120_000).describe("No advance of the committed offset for this long (with lag) is STALLED; below lagWindowMs."),
  lagTableSize: positive.min(3).max(10_000).default(120).describe("(log-end offset, time) points kept per partition for the lag-in-seconds estimate."),
  commitFromProgress: z.array(z.string().regex(/^[^=]+=[^=]+$/, 'must be "query=group"')).default([]).describe("\"query name or id=group\" entries: each Kafka micro-batch's end offsets are committed to the group."),
  commitFromProgressForce: z.boolean().default(false).describe("Commit from progress without the from_offset check (not recommended)."),
});

export type OffsetsSectionConfig = z.output<typeof offsetsConfigSchema>;
export type OffsetsSectionInput = z.input<typeof offsetsConfigSchema>;

/** Checks across the section's settings, paths relative to it (run by the SDK once every section parsed). */
export function offsetsConfigIssues(c: OffsetsSectionConfig): { path: string[]; message: string }[] {
  if (c.stallAfterMs >= c.lagWindowMs) return [{ path: ['stallAfterMs'], message: 'must be below offsets.lagWindowMs' }];
  return [];
}

/** What Offsets takes from a parsed section. */
export function offsetsConfig(c: OffsetsSectionConfig): OffsetsConfig {
  return {
    defaultPolicy: c.defaultPolicy,
    groups: c.groups,
    pollMs: c.lagPollMs,
    windowMs: c.lagWindowMs,
    stallAfterMs: c.stallAfterMs,
    tableSize: c.lagTableSize,
    commitFromProgress: c.commitFromProgress,
    commitFromProgressForce: c.commitFromProgressForce,
  };
}

/**
 * The offsets' own Kafka client from the shared connection settings: its own client id, and
 * few, short retries, since a client waiting on a commit or fetch should hear quickly.
 */
export function offsetsConnection(kafka: KafkaConnectionConfig): KafkaConnectionSettings {
  const conn = kafkaConnectionSettings(kafka);
  return { ...conn, clientId: `${conn.clientId}-offsets`, requestTimeoutMs: Math.min(conn.requestTimeoutMs, 10_000), retries: 2 };
}
