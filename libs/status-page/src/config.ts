// The status page's configuration: the sidecar's `status` section (README "Status page"),
// its own small HTTP server. The schema is where its defaults live; a non-loopback host needs
// the gRPC server's token, a check across sections the SDK makes.
import { z } from 'zod';

const positive = z.number().int().positive();

export const statusConfigSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Serve the live status page (applications, jobs, stages with task progress, streaming queries, Kafka, spool, drops) at http://status.host:status.port/status."),
  host: z.string().min(1).default('127.0.0.1').describe("Address the status page binds; a non-loopback one needs server.token (or server.allowUnauthenticatedNonLoopback)."),
  port: z.number().int().min(0).max(65535).default(9465).describe("Port of the status page; 0 picks a free one (logged as statusUrl)."),
  maxApps: positive.max(1_000).default(20).describe("Applications the page keeps; beyond it ended (then the longest silent) ones are dropped."),
  maxJobs: positive.max(10_000).default(50).describe("Jobs kept per application; finished ones are dropped first, oldest first."),
  maxStages: positive.max(10_000).default(200).describe("Stages kept per application; finished ones are dropped first, oldest first."),
});

export type StatusConfig = z.output<typeof statusConfigSchema>;
export type StatusConfigInput = z.input<typeof statusConfigSchema>;
