// The receiver's configuration: the sidecar's `server` section. The schema is the one place
// its defaults live; the SDK composes it into the sidecar's configuration, and a program
// using the receiver alone parses it too (receiverConfigSchema.parse({ port: 0 })).
import { z } from 'zod';
import type { DecodeLimits } from './decode';
import type { ReceiverTls } from './receiver';

const MiB = 1024 * 1024;
const positive = z.number().int().positive();

export const receiverConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe("Address the gRPC server binds; a non-loopback one needs server.token (or allowUnauthenticatedNonLoopback)."),
  port: z.number().int().min(0).max(65535).default(50551).describe("gRPC port (ListenerService, OffsetsService, health, reflection); 0 picks a free one (logged)."),
  allowUnauthenticatedNonLoopback: z.boolean().default(false).describe("Binding a non-loopback address without a token needs this explicit opt-in."),
  token: z.string().min(16, 'must be at least 16 characters').optional().describe("Bearer token required on every RPC when set (at least 16 characters). Secret: never logged."),
  tokenFile: z.string().min(1).optional().describe("File holding server.token (e.g. a mounted Kubernetes Secret), read at start; trailing whitespace is dropped."),
  tlsCertFile: z.string().optional().describe("PEM certificate of the gRPC server: TLS on (needs tlsKeyFile)."),
  tlsKeyFile: z.string().optional().describe("PEM private key of tlsCertFile."),
  tlsCaFile: z.string().optional().describe("PEM CA bundle: the server then requires client certificates (mutual TLS)."),
  maxBatchBytes: positive.max(64 * MiB).default(8 * MiB).describe("Largest request (one batch) accepted, in bytes; larger is refused with RESOURCE_EXHAUSTED."),
  maxBatchEvents: positive.max(100_000).default(10_000).describe("Most events in one batch."),
  maxNestingDepth: positive.min(8).max(100).default(32).describe("Request decoding: messages nested in each other, at most; a deeper frame is refused (RESOURCE_EXHAUSTED)."),
  maxStringBytes: positive.max(64 * MiB).default(4 * MiB).describe("Request decoding: bytes of one string field (event ids, plan descriptions, failure messages), at most."),
  maxRepeatedEntries: positive.max(10_000_000).default(100_000).describe("Request decoding: entries of one repeated or map field of one message (stage ids, labels, configs, metrics), at most."),
  maxBatchValues: positive.max(100_000_000).default(1_000_000).describe("Request decoding: messages, map entries and repeated values in one batch, at most (no small frame expands into millions of objects)."),
  maxInFlightPerStream: positive.max(10_000).default(64).describe("Batches of one Stream call being processed at once; beyond it the stream is not read."),
  maxInFlightBytes: positive.max(4096 * MiB).default(64 * MiB).describe("Bytes of batches being processed at once, over all clients; beyond it streams stop being read and Publish gets RESOURCE_EXHAUSTED."),
  maxStreamsPerClient: positive.max(10_000).default(8).describe("Open Stream calls per client_id; more are refused with RESOURCE_EXHAUSTED."),
  maxStreams: positive.max(100_000).default(1_000).describe("Open Stream calls in total."),
  idleStreamTimeoutMs: positive.default(1_800_000).describe("A stream with no batch and nothing in flight for this long is ended (UNAVAILABLE: the client reconnects when it has something to send)."),
});

/** The schema's defaults: what a receiver built by hand (tests, embedding) gets for what it leaves out. */
export const RECEIVER_DEFAULTS = Object.freeze(receiverConfigSchema.parse({}));


export type ReceiverConfig = z.output<typeof receiverConfigSchema>;
export type ReceiverConfigInput = z.input<typeof receiverConfigSchema>;

/**
 * Checks across settings of the section, paths relative to it. Not a refinement of the
 * schema: the composed configuration runs every section's checks once all sections parsed,
 * in a fixed order, so which error is reported first does not depend on the nesting.
 */
export function receiverConfigIssues(c: ReceiverConfig): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (Boolean(c.tlsCertFile) !== Boolean(c.tlsKeyFile)) issues.push({ path: [c.tlsCertFile ? 'tlsKeyFile' : 'tlsCertFile'], message: 'TLS needs both tlsCertFile and tlsKeyFile' });
  if (c.tlsCaFile && !c.tlsCertFile) issues.push({ path: ['tlsCaFile'], message: 'mutual TLS needs tlsCertFile and tlsKeyFile too' });
  return issues;
}

/** What the configuration sets of the receiver: everything startReceiver takes but its runtime collaborators. */
export interface ReceiverSettings
  extends Pick<ReceiverConfig, 'host' | 'port' | 'token' | 'maxBatchBytes' | 'maxInFlightPerStream'>,
    // Optional for tests that build a receiver by hand (the schema's defaults then); the configuration always sets them.
    Partial<Pick<ReceiverConfig, 'maxInFlightBytes' | 'maxStreamsPerClient' | 'maxStreams' | 'idleStreamTimeoutMs'>> {
  tls?: ReceiverTls;
  /** Limits of the request decoder besides maxBatchBytes (decode.ts). */
  decodeLimits?: Partial<Omit<DecodeLimits, 'maxBatchBytes'>>;
}

/** The receiver settings of a parsed `server` section (server.token already read from server.tokenFile). */
export function receiverSettings(c: ReceiverConfig): ReceiverSettings {
  return {
    host: c.host,
    port: c.port,
    token: c.token,
    tls: c.tlsCertFile ? { certFile: c.tlsCertFile, keyFile: c.tlsKeyFile!, caFile: c.tlsCaFile } : undefined,
    maxBatchBytes: c.maxBatchBytes,
    decodeLimits: {
      maxBatchEvents: c.maxBatchEvents,
      maxNestingDepth: c.maxNestingDepth,
      maxStringBytes: c.maxStringBytes,
      maxRepeatedEntries: c.maxRepeatedEntries,
      maxBatchValues: c.maxBatchValues,
    },
    maxInFlightPerStream: c.maxInFlightPerStream,
    maxInFlightBytes: c.maxInFlightBytes,
    maxStreamsPerClient: c.maxStreamsPerClient,
    maxStreams: c.maxStreams,
    idleStreamTimeoutMs: c.idleStreamTimeoutMs,
  };
}
