// sparkwire.v1.OffsetsService over gRPC. The receiver adds it next to ListenerService, with
// the same bearer-token check. Without offsets configured every call answers
// FAILED_PRECONDITION saying how to turn them on, rather than UNIMPLEMENTED.
import * as grpc from '@grpc/grpc-js';
import {
  CommitResponse_Outcome,
  LagStatus,
  OffsetsServiceService,
  StartPolicy,
  type CommitRequest,
  type CommitResponse,
  type FetchRequest,
  type FetchResponse,
  type LagRequest,
  type LagResponse,
} from '@sparkwire/proto';
import { OffsetsError } from './errors';
import type { Offsets } from './offsets';
import { Status } from './status-rules';

export const OFFSETS_SERVICE_NAME = 'sparkwire.v1.OffsetsService';

export interface OffsetsServiceHandle {
  name: string;
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

const STATUS_TO_PROTO: Record<Status, LagStatus> = {
  [Status.OK]: LagStatus.LAG_STATUS_OK,
  [Status.LAGGING]: LagStatus.LAG_STATUS_LAGGING,
  [Status.STALLED]: LagStatus.LAG_STATUS_STALLED,
  [Status.STOPPED]: LagStatus.LAG_STATUS_STOPPED,
};

export function toServiceError(err: unknown): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (err instanceof OffsetsError) {
    if (err.field) metadata.set('sparkwire-field', err.field);
    return Object.assign(new Error(err.message), { code: err.code as number as grpc.status, details: err.message, metadata });
  }
  const msg = `internal error: ${(err as Error).message}`;
  return Object.assign(new Error(msg), { code: grpc.status.INTERNAL, details: msg, metadata });
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err) => callback(toServiceError(err)),
    );
  };
}

export function createOffsetsService(offsets: Offsets | undefined, disabledReason = 'offsets are not enabled: start the sidecar with Kafka (--kafka-brokers) and --offsets-enabled'): OffsetsServiceHandle {
  const need = (): Offsets => {
    if (!offsets) throw new OffsetsError(9, disabledReason);
    return offsets;
  };
  const commit = async (req: CommitRequest): Promise<CommitResponse> => {
    const r = await need().commit({ group: req.group, queryId: req.queryId, batchId: req.batchId, ranges: req.ranges, force: req.force });
    return {
      outcome: r.outcome === 'committed' ? CommitResponse_Outcome.COMMITTED : CommitResponse_Outcome.ALREADY_COMMITTED,
      committed: r.committed,
    };
  };
  const fetch = async (req: FetchRequest): Promise<FetchResponse> => {
    const policy = req.policy === StartPolicy.START_POLICY_EARLIEST ? 'earliest' : req.policy === StartPolicy.START_POLICY_LATEST ? 'latest' : undefined;
    const r = await need().fetch(req.group, req.topics, policy);
    return {
      partitions: r.partitions,
      assignOffsets: r.assignOffsets,
      startingOffsetsJson: r.startingOffsetsJson,
      policy: r.policy === 'earliest' ? StartPolicy.START_POLICY_EARLIEST : StartPolicy.START_POLICY_LATEST,
      groupHasCommits: r.groupHasCommits,
    };
  };
  const lag = async (req: LagRequest): Promise<LagResponse> => {
    const r = await need().lag(req.group, req.topics);
    return {
      group: r.group,
      partitions: r.partitions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        committedOffset: p.committed,
        logEndOffset: p.logEnd,
        lag: p.lag,
        lagSeconds: p.lagSeconds,
        status: STATUS_TO_PROTO[p.status],
        reason: p.reason,
      })),
      status: STATUS_TO_PROTO[r.status],
      totalLag: r.totalLag,
      maxLagSeconds: r.maxLagSeconds,
      sampledAtMs: BigInt(Math.trunc(r.sampledAtMs)),
    };
  };
  return {
    name: OFFSETS_SERVICE_NAME,
    definition: OffsetsServiceService as unknown as grpc.ServiceDefinition,
    implementation: { commit: unary(commit), fetch: unary(fetch), lag: unary(lag) } as unknown as grpc.UntypedServiceImplementation,
  };
}
