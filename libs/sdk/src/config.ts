// The one configuration object, shared by the sidecar and embedding programs. Each component
// owns its section's schema (defaults, descriptions, validation) next to its factory, the way
// OpenTelemetry Collector components do; this file composes them and adds what spans
// sections: the loopback/token rules, offsets needing Kafka, and the secret files. Every
// value has a default except Kafka brokers; objects are strict so an unknown key is an error
// that names it. Flags, SPARKWIRE_* variables and files all fill this same shape
// (apps/sidecar/src/config-sources.ts).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fileSinkConfigSchema } from '@sparkwire/file-sink';
import { receiverConfigIssues, receiverConfigSchema } from '@sparkwire/grpc-receiver';
import { kafkaSectionIssues, kafkaSectionSchema } from '@sparkwire/kafka-sink';
import { offsetsConfigIssues, offsetsConfigSchema } from '@sparkwire/offsets';
import { metricsConfigSchema } from '@sparkwire/otel-metrics';
import { tracesConfigSchema } from '@sparkwire/otel-traces';
import { pipelineConfigShape } from '@sparkwire/pipeline';
import { spoolConfigIssues, spoolConfigSchema } from '@sparkwire/spool';
import { statusConfigSchema } from '@sparkwire/status-page';

// The sections under the names they had when they were declared here, for code importing those.
export const serverSchema = receiverConfigSchema;
export const kafkaSchema = kafkaSectionSchema;
export const fileSchema = fileSinkConfigSchema;
export const spoolSchema = spoolConfigSchema;
export const otelSchema = tracesConfigSchema;
export const metricsSchema = metricsConfigSchema;
export const offsetsSchema = offsetsConfigSchema;
export const statusSchema = statusConfigSchema;

type Issues = { path: string[]; message: string }[];

export const configSchema = z
  .strictObject({
    extended: pipelineConfigShape.extended,
    server: receiverConfigSchema.prefault({}),
    /** When absent, events go to the rotating file sink. */
    kafka: kafkaSectionSchema.optional(),
    file: fileSinkConfigSchema.prefault({}),
    spool: spoolConfigSchema.prefault({}),
    otel: tracesConfigSchema.prefault({}),
    metrics: metricsConfigSchema.prefault({}),
    offsets: offsetsConfigSchema.prefault({}),
    status: statusConfigSchema.prefault({}),
    dedupeBatchWindow: pipelineConfigShape.dedupeBatchWindow,
    dedupeEventWindow: pipelineConfigShape.dedupeEventWindow,
    ackTimeoutMs: pipelineConfigShape.ackTimeoutMs,
    shutdownDeadlineMs: z.number().int().positive().default(10_000).describe("On SIGTERM/SIGINT: flush in-flight batches and close within this long."),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe("Log level of the JSON log on stdout."),
  })
  // The sections' own checks run here, after every section parsed and in this order, so the
  // first error reported is the same whichever component owns a rule.
  .superRefine((c, ctx) => {
    const add = (section: string, issues: Issues) => {
      for (const i of issues) ctx.addIssue({ code: 'custom', path: [section, ...i.path], message: i.message });
    };
    const s = c.server;
    if (!isLoopback(s.host) && !s.token && !s.tokenFile && !s.allowUnauthenticatedNonLoopback) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'host'],
        message: `${s.host} is not a loopback address: set server.token (or explicitly server.allowUnauthenticatedNonLoopback)`,
      });
    }
    if (c.status.enabled && !isLoopback(c.status.host) && !s.token && !s.tokenFile && !s.allowUnauthenticatedNonLoopback) {
      ctx.addIssue({ code: 'custom', path: ['status', 'host'], message: `${c.status.host} is not a loopback address: set server.token (the status page then asks for it) or server.allowUnauthenticatedNonLoopback` });
    }
    add('server', receiverConfigIssues(s));
    if (c.kafka) add('kafka', kafkaSectionIssues(c.kafka));
    add('spool', spoolConfigIssues(c.spool));
    if (c.offsets.enabled && !c.kafka) ctx.addIssue({ code: 'custom', path: ['offsets', 'enabled'], message: 'offsets are stored in Kafka: set kafka.brokers too' });
    add('offsets', offsetsConfigIssues(c.offsets));
  });

export type SparkwireConfig = z.output<typeof configSchema>;
export type SparkwireConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    /** Dotted path of the value at fault, e.g. "kafka.brokers". */
    readonly key: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates and fills defaults; throws a ConfigError naming the first bad value. */
export function parseConfig(input: unknown): SparkwireConfig {
  const r = configSchema.safeParse(input ?? {});
  if (r.success) return readSecretFiles(r.data);
  const issue = r.error.issues[0];
  let key = issue.path.join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    key = [...issue.path, issue.keys[0]].join('.');
    message = `unknown key ${JSON.stringify(key)}`;
    return fail(message, key);
  }
  return fail(`${key || 'config'}: ${message}`, key);
}

/**
 * Fills server.token / kafka.saslPassword from their *File settings. Parsing an already parsed
 * configuration again is fine: the value then equals the file's.
 */
function readSecretFiles(c: SparkwireConfig): SparkwireConfig {
  const read = (file: string, key: string): string => {
    try {
      return readFileSync(file, 'utf8').trimEnd();
    } catch (err) {
      return fail(`${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, key);
    }
  };
  if (c.server.tokenFile) {
    const token = read(c.server.tokenFile, 'server.tokenFile');
    if (c.server.token !== undefined && c.server.token !== token) fail('server.tokenFile: set server.token or server.tokenFile, not both', 'server.tokenFile');
    if (token.length < 16) fail(`server.tokenFile: the token in ${c.server.tokenFile} must be at least 16 characters`, 'server.tokenFile');
    c.server.token = token;
  }
  const k = c.kafka;
  if (k?.saslPasswordFile) {
    const password = read(k.saslPasswordFile, 'kafka.saslPasswordFile');
    if (k.saslPassword !== undefined && k.saslPassword !== password) fail('kafka.saslPasswordFile: set kafka.saslPassword or kafka.saslPasswordFile, not both', 'kafka.saslPasswordFile');
    if (password === '') fail(`kafka.saslPasswordFile: ${k.saslPasswordFile} is empty`, 'kafka.saslPasswordFile');
    k.saslPassword = password;
  }
  return c;
}

function fail(message: string, key: string): never {
  throw new ConfigError(message, key);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Paths of secret values: redacted from logs. */
export const SECRET_PATHS = ['server.token', 'kafka.saslPassword'];
