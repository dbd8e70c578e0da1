// The metrics' configuration: the sidecar's `metrics` section, the Prometheus endpoint and
// the optional OTLP push. Unset OTLP values fall back to the standard OTEL_* variables
// (metrics.ts resolves them).
import { z } from 'zod';

export const metricsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("The Prometheus scrape endpoint."),
  host: z.string().min(1).default('127.0.0.1').describe("Address the Prometheus endpoint binds."),
  port: z.number().int().min(0).max(65535).default(9464).describe("Port of the Prometheus endpoint; 0 picks a free one (logged as metricsAddress)."),
  path: z.string().regex(/^\/\S*$/, 'must start with /').default('/metrics').describe("Path of the Prometheus endpoint."),
  otlpEndpoint: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL').optional().describe("OTLP metrics push, on when set (or OTEL_METRICS_EXPORTER=otlp)."),
  otlpProtocol: z.enum(['grpc', 'http/protobuf']).optional().describe("OTLP metrics protocol; unset: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf."),
  otlpIntervalMs: z.number().int().positive().optional().describe("OTLP metrics export interval; unset: OTEL_METRIC_EXPORT_INTERVAL, else 60 s."),
});

export type MetricsSectionConfig = z.output<typeof metricsConfigSchema>;
export type MetricsSectionInput = z.input<typeof metricsConfigSchema>;
