// The pipeline's own settings. They sit at the top level of the sidecar's configuration
// (not in a section of their own), so this is a shape the SDK spreads into its schema.
import { z } from 'zod';

export const pipelineConfigShape = {
  extended: z.boolean().default(false).describe("Extended mode: task-level events are published too (O(tasks) records; stage level is O(stages))."),
  dedupeBatchWindow: z.number().int().positive().default(4096).describe("Batches remembered per client to answer a resent batch as a duplicate."),
  dedupeEventWindow: z.number().int().min(0).default(100_000).describe("Event ids remembered to drop repeated events; 0 turns event dedupe off."),
  ackTimeoutMs: z.number().int().positive().default(30_000).describe("How long a client waits for its batch to be confirmed before it hears UNAVAILABLE."),
};

export const pipelineConfigSchema = z.strictObject(pipelineConfigShape);

export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;

/** The part of PipelineOptions the configuration sets. */
export interface PipelineSettings {
  extended: PipelineConfig['extended'];
  dedupe: { batchWindow: PipelineConfig['dedupeBatchWindow']; eventWindow: PipelineConfig['dedupeEventWindow'] };
  ackTimeoutMs: PipelineConfig['ackTimeoutMs'];
}

export function pipelineSettings(c: PipelineConfig): PipelineSettings {
  return { extended: c.extended, dedupe: { batchWindow: c.dedupeBatchWindow, eventWindow: c.dedupeEventWindow }, ackTimeoutMs: c.ackTimeoutMs };
}
