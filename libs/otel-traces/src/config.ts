// The traces' configuration: the sidecar's `otel` section (docs/observability.md). Unset
// values fall back to the standard OTEL_* variables (tracing.ts resolves them), so only
// values with no OTEL_* counterpart have a default here.
import { z } from 'zod';

export const tracesConfigSchema = z.strictObject({
  tracesEnabled: z.boolean().optional().describe("OTLP traces; unset: on when an endpoint is configured (here or OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT) or OTEL_TRACES_EXPORTER=otlp."),
  tracesEndpoint: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL').optional().describe("OTLP traces endpoint: http://collector:4317 (grpc) or http://collector:4318 (http/protobuf)."),
  tracesProtocol: z.enum(['grpc', 'http/protobuf']).optional().describe("OTLP protocol; unset: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf."),
  taskSpans: z.boolean().default(true).describe("spark.task spans (extended mode only)."),
  taskSampleRatio: z.number().min(0).max(1).default(1).describe("Share of successful task spans kept (failed tasks always are)."),
  openSpanTimeoutMs: z.number().int().positive().default(24 * 3600 * 1000).describe("Open jobs/stages/SQL executions older than this, and applications silent this long, are closed (marked)."),
  maxOpenSpans: z.number().int().positive().max(1_000_000).default(10_000).describe("Most open spans held at once; beyond it the oldest is closed (marked evicted)."),
  maxQueueSize: z.number().int().positive().max(1_000_000).optional().describe("Spans queued for export at most (then dropped, counted); unset: OTEL_BSP_MAX_QUEUE_SIZE, else 16384."),
  exportTimeoutMs: z.number().int().positive().optional().describe("Timeout of one span export; unset: OTEL_EXPORTER_OTLP_TIMEOUT, else 10 s."),
  serviceName: z.string().min(1).optional().describe("service.name; unset: OTEL_SERVICE_NAME, else the Spark application name (traces) and \"sparkwire\" (metrics)."),
});

/** What startTracing and resolveTracing take: the parsed section (tracesConfigSchema.parse({}) without the SDK). */
export type TracingConfig = z.output<typeof tracesConfigSchema>;
export type TracingConfigInput = z.input<typeof tracesConfigSchema>;
