// `sparkwire lag` and `sparkwire offsets fetch|commit|reset`: the sidecar's OffsetsService
// (docs/offsets.md) from the command line. fetch, commit and lag go through the sidecar (its
// fencing and idempotence apply); reset moves a consumer group's committed offsets in Kafka
// directly, and only while the group has no live members (Kafka itself refuses otherwise).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import * as grpc from '@grpc/grpc-js';
import { CommitResponse_Outcome, LagStatus, OffsetsServiceClient, StartPolicy, type CommitRequest, type FetchResponse, type LagResponse } from '@sparkwire/proto';
import { EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK, EXIT_USAGE, addKafkaOptions, kafkaTarget, outputFormat, positiveInt, toJson, UsageError, table, withAdmin, type CommandDeps } from './common';

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function addServiceOptions(cmd: Command): Command {
  return cmd
    .option('--address <host:port>', "the sidecar's gRPC address (serve --offsets-enabled true)", '127.0.0.1:50551')
    .option('--token <token>', 'bearer token when the sidecar has server.token (default: $SPARKWIRE_SERVER_TOKEN)')
    .option('--token-file <file>', 'file holding the token (trailing whitespace dropped)')
    .option('--timeout-ms <ms>', 'deadline of the call', positiveInt('--timeout-ms'), 10_000)
    .option('--output <format>', 'text or json', outputFormat, 'text');
}

interface ServiceOpts {
  address: string;
  token?: string;
  tokenFile?: string;
  timeoutMs: number;
}

type Method = 'commit' | 'fetch' | 'lag';
async function call<R>(opts: ServiceOpts, env: NodeJS.ProcessEnv, method: Method, req: unknown): Promise<R> {
  const token = opts.token ?? (opts.tokenFile ? readFileSync(opts.tokenFile, 'utf8').trimEnd() : env.SPARKWIRE_SERVER_TOKEN);
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  const client = new OffsetsServiceClient(opts.address, grpc.credentials.createInsecure());
  try {
    return await new Promise<R>((resolve, reject) =>
      (client[method] as unknown as (q: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: R) => void) => void).call(client, req, md, { deadline: Date.now() + opts.timeoutMs }, (e, r) =>
        e ? reject(e) : resolve(r!),
      ),
    );
  } finally {
    client.close();
  }
}

function grpcFailure(io: CommandDeps['io'], what: string, err: unknown): number {
  const e = err as grpc.ServiceError;
  const field = e.metadata?.get?.('sparkwire-field')?.[0];
  io.err(`sparkwire ${what}: ${e.details ?? e.message}${field ? ` (field ${field})` : ''}\n`);
  return e.code === grpc.status.INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAILED;
}

const statusName = (s: LagStatus) => (LagStatus[s] ?? 'LAG_STATUS_UNSPECIFIED').replace('LAG_STATUS_', '');

export function addOffsetsCommands(program: Command, deps: CommandDeps): void {
  const { io } = deps;

  addServiceOptions(
    program
      .command('lag')
      .description("consumer-group lag as the sidecar's lag monitor sees it: records and seconds behind, status OK / LAGGING / STALLED / STOPPED")
      .option('--group <group>', 'the consumer group (default: every group the lag monitor follows, found on the Prometheus endpoint)')
      .option('--topic <topic>', 'only these topics (repeatable or comma-separated; default: every topic the group has offsets for)', collect)
      .option('--metrics-url <url>', 'without --group: the Prometheus endpoint listing the followed groups (default: http://<host of --address>:9464/metrics)')
      .addHelpText('after', `\nExit 1 also when a group's status is STALLED or STOPPED.${EXIT_CODES_HELP}`)
      .exitOverride(),
  ).action((opts) => {
    deps.setAction(async () => {
      let groups: string[] = opts.group ? [opts.group] : [];
      if (!opts.group) {
        const url = opts.metricsUrl ?? `http://${opts.address.replace(/:\d+$/, '')}:9464/metrics`;
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          groups = followedGroups(await res.text());
        } catch (err) {
          io.err(`sparkwire lag: no --group, and the followed groups could not be read from ${url}: ${(err as Error).message}\n`);
          return EXIT_FAILED;
        }
        if (groups.length === 0) {
          io.out(opts.output === 'json' ? '[]\n' : 'no consumer groups followed by the lag monitor (offsets.groups, or groups committed through the service)\n');
          return EXIT_OK;
        }
      }
      const results: LagResponse[] = [];
      for (const group of groups) {
        try {
          results.push(await call<LagResponse>(opts, io.env, 'lag', { group, topics: opts.topic ?? [] }));
        } catch (err) {
          return grpcFailure(io, 'lag', err);
        }
      }
      const asJson = (r: LagResponse) => ({ ...r, status: statusName(r.status), partitions: r.partitions.map((p) => ({ ...p, status: statusName(p.status) })) });
      if (opts.output === 'json') io.out(`${toJson(opts.group ? asJson(results[0]) : results.map(asJson))}\n`);
      else {
        for (const r of results) {
          const t = table(['topic', 'partition', 'committed', 'log end', 'lag', 'lag (s)', 'status', 'reason']);
          for (const p of r.partitions) t.push([p.topic, p.partition, String(p.committedOffset), String(p.logEndOffset), String(p.lag), p.lagSeconds.toFixed(1), statusName(p.status), p.reason]);
          io.out(`group ${r.group}: ${statusName(r.status)}, total lag ${r.totalLag} records, max ${r.maxLagSeconds.toFixed(1)} s\n${t.toString()}\n`);
        }
      }
      return results.some((r) => r.status === LagStatus.LAG_STATUS_STALLED || r.status === LagStatus.LAG_STATUS_STOPPED) ? EXIT_FAILED : EXIT_OK;
    });
  });

  const offsets = program.command('offsets').description("a consumer group's committed offsets through the sidecar's OffsetsService: fetch, commit, reset").exitOverride();

  addServiceOptions(
    offsets
      .command('fetch')
      .description('restart offsets of a group: Structured Streaming startingOffsets JSON and per partition committed / log start / log end')
      .requiredOption('--group <group>', 'the consumer group')
      .requiredOption('--topic <topic>', 'topics (repeatable or comma-separated)', collect)
      .option('--policy <policy>', 'where a partition without a commit starts: earliest or latest (default: the service\'s offsets.defaultStartPolicy)')
      .option('--starting-offsets', 'print only the startingOffsets JSON (for spark.readStream.option("startingOffsets", ...))')
      .addHelpText('after', EXIT_CODES_HELP)
      .exitOverride(),
  ).action((opts) => {
    deps.setAction(async () => {
      const policy = opts.policy === undefined ? StartPolicy.START_POLICY_UNSPECIFIED : opts.policy === 'earliest' ? StartPolicy.START_POLICY_EARLIEST : opts.policy === 'latest' ? StartPolicy.START_POLICY_LATEST : undefined;
      if (policy === undefined) throw new UsageError(`--policy: ${JSON.stringify(opts.policy)} is not earliest or latest`);
      let r: FetchResponse;
      try {
        r = await call<FetchResponse>(opts, io.env, 'fetch', { group: opts.group, topics: opts.topic, policy });
      } catch (err) {
        return grpcFailure(io, 'offsets fetch', err);
      }
      if (opts.startingOffsets) io.out(`${r.startingOffsetsJson}\n`);
      else if (opts.output === 'json') io.out(`${toJson(r)}\n`);
      else {
        const t = table(['topic', 'partition', 'offset', 'committed', 'log start', 'log end', 'query', 'batch']);
        for (const p of r.partitions) t.push([p.topic, p.partition, String(p.offset), p.committed ? 'yes' : 'no', String(p.logStartOffset), String(p.logEndOffset), p.queryId, p.committed ? String(p.batchId) : '']);
        io.out(`group ${opts.group}${r.groupHasCommits ? '' : ' (no commits yet)'}\n${t.toString()}\nstartingOffsets: ${r.startingOffsetsJson}\n`);
      }
      return EXIT_OK;
    });
  });

  addServiceOptions(
    offsets
      .command('commit')
      .description("commit one batch's offset ranges for a group, fenced and idempotent per (query, batch) as a streaming job's commit")
      .requiredOption('--group <group>', 'the consumer group')
      .requiredOption('--query-id <id>', 'the streaming query (or job) the batch belongs to')
      .requiredOption('--batch-id <n>', 'the batch id (monotonic per query)')
      .requiredOption('--range <topic:partition:from:until>', 'an offset range read by the batch (repeatable); until is exclusive and becomes the committed offset', (v: string, prev: string[] = []) => [...prev, v], [])
      .option('--force', 'skip the fencing checks (from must equal the committed offset): an operator override')
      .addHelpText('after', EXIT_CODES_HELP)
      .exitOverride(),
  ).action((opts) => {
    deps.setAction(async () => {
      if (!/^\d+$/.test(opts.batchId)) throw new UsageError(`--batch-id: ${JSON.stringify(opts.batchId)} is not a non-negative integer`);
      const ranges = (opts.range as string[]).map((r) => {
        const m = /^(.+):(\d+):(\d+):(\d+)$/.exec(r);
        if (!m) throw new UsageError(`--range: ${JSON.stringify(r)} is not topic:partition:from:until`);
        return { topic: m[1], partition: Number(m[2]), fromOffset: BigInt(m[3]), untilOffset: BigInt(m[4]) };
      });
      const req: CommitRequest = { group: opts.group, queryId: opts.queryId, batchId: BigInt(opts.batchId), ranges, force: Boolean(opts.force) };
      let r: { outcome: CommitResponse_Outcome; committed: Array<{ topic: string; partition: number; offset: bigint }> };
      try {
        r = await call(opts, io.env, 'commit', req);
      } catch (err) {
        return grpcFailure(io, 'offsets commit', err);
      }
      const outcome = r.outcome === CommitResponse_Outcome.COMMITTED ? 'COMMITTED' : 'ALREADY_COMMITTED';
      if (opts.output === 'json') io.out(`${toJson({ outcome, committed: r.committed })}\n`);
      else io.out(`${outcome}: ${r.committed.map((c) => `${c.topic}-${c.partition}@${c.offset}`).join(', ')}\n`);
      return EXIT_OK;
    });
  });

  const reset = offsets
    .command('reset')
    .description("move a consumer group's committed offsets (in Kafka) to earliest, latest or an offset; refused while the group has live members")
    .requiredOption('--group <group>', 'the consumer group')
    .requiredOption('--topic <topic>', 'topic to reset (repeatable or comma-separated)', collect)
    .requiredOption('--to <where>', 'earliest, latest, or an offset number (every partition)')
    .option('--partition <n>', 'only these partitions (repeatable or comma-separated)', collect)
    .option('--yes', 'do it without asking (needed when stdout is a terminal)')
    .option('--dry-run', 'print what would be committed and stop')
    .option('--output <format>', 'text or json', outputFormat, 'text')
    .addHelpText('after', `\nTalks to Kafka directly (the sidecar need not run).${EXIT_CODES_HELP}`)
    .exitOverride();
  addKafkaOptions(reset, false);
  reset.action((opts) => {
    deps.setAction(async () => {
      const to = String(opts.to);
      if (!['earliest', 'latest'].includes(to) && !/^\d+$/.test(to)) throw new UsageError(`--to: ${JSON.stringify(to)} is not earliest, latest or an offset`);
      const onlyParts = ((opts.partition ?? []) as string[]).map((p) => {
        if (!/^\d+$/.test(p)) throw new UsageError(`--partition: ${JSON.stringify(p)} is not a number`);
        return Number(p);
      });
      if (io.stdoutIsTTY && !opts.yes && !opts.dryRun) throw new UsageError('resetting offsets moves what a consumer reads next: add --yes to confirm (or --dry-run to see the change)');
      const target = kafkaTarget(opts, io.env);
      return withAdmin(target, async (admin) => {
        const group = await admin.groupState(opts.group);
        if (group.members > 0) {
          io.err(`sparkwire offsets reset: group ${opts.group} has ${group.members} live member(s) (state ${group.state}): stop its consumers first\n`);
          return EXIT_FAILED;
        }
        const plan: Array<{ topic: string; partition: number; from: string; to: string }> = [];
        for (const topic of opts.topic as string[]) {
          const committed = await admin.committedOffsets(opts.group, [topic]);
          for (const h of await admin.topicOffsets(topic)) {
            if (onlyParts.length && !onlyParts.includes(h.partition)) continue;
            const dest = to === 'earliest' ? h.low : to === 'latest' ? h.high : clamp(BigInt(to), h.low, h.high);
            plan.push({ topic, partition: h.partition, from: String(committed.find((c) => c.partition === h.partition)?.offset ?? -1n), to: String(dest) });
          }
        }
        if (!opts.dryRun) {
          for (const topic of new Set(plan.map((p) => p.topic))) {
            await admin.setGroupOffsets(opts.group, topic, plan.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, offset: BigInt(p.to) })));
          }
        }
        if (opts.output === 'json') io.out(`${toJson({ group: opts.group, dryRun: Boolean(opts.dryRun), partitions: plan })}\n`);
        else {
          const t = table(['topic', 'partition', 'committed before', opts.dryRun ? 'would be' : 'committed now']);
          for (const p of plan) t.push([p.topic, p.partition, p.from === '-1' ? '(none)' : p.from, p.to]);
          io.out(`group ${opts.group}${opts.dryRun ? ' (dry run, nothing changed)' : ''}\n${t.toString()}\n`);
        }
        return EXIT_OK;
      });
    });
  });
}

function clamp(v: bigint, low: bigint, high: bigint): bigint {
  return v < low ? low : v > high ? high : v;
}

/** The groups of the sparkwire_offsets_group_lag series on a Prometheus page. */
export function followedGroups(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('sparkwire_offsets_group_lag{')) continue;
    const m = /[{,]group="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) out.add(m[1].replace(/\\(.)/g, '$1'));
  }
  return [...out].sort();
}
