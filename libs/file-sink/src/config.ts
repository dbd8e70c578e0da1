// The file sink's configuration: the sidecar's `file` section (the sink when no Kafka is
// configured). The schema is where its defaults live.
import { z } from 'zod';

const positive = z.number().int().positive();

export const fileSinkConfigSchema = z.strictObject({
  dir: z.string().min(1).default('sparkwire-data/events').describe("Directory of the rotating NDJSON files (the sink when no Kafka is configured)."),
  prefix: z.string().min(1).default('sparkwire-events').describe("File name prefix of the NDJSON files."),
  maxBytes: positive.default(64 * 1024 * 1024).describe("Size at which the current file is rotated."),
  maxFiles: positive.default(10).describe("Rotated files kept; older ones are deleted."),
});

/** What FileSink takes: the parsed section (fileSinkConfigSchema.parse({ dir }) without the SDK). */
export type FileSinkConfig = z.output<typeof fileSinkConfigSchema>;
export type FileSinkConfigInput = z.input<typeof fileSinkConfigSchema>;
