// grpc.health.v1 checks against a running server, as a load balancer or kubelet would ask.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from './paths';

const HEALTH_PROTO = join(REPO_ROOT, 'node_modules/grpc-health-check/proto');

let Health: grpc.ServiceClientConstructor | undefined;
function healthService(): grpc.ServiceClientConstructor {
  Health ??= (grpc.loadPackageDefinition(protoLoader.loadSync('health/v1/health.proto', { enums: String, includeDirs: [HEALTH_PROTO] })) as any).grpc.health.v1.Health;
  return Health!;
}

export interface HealthClient {
  /** The status name (SERVING, NOT_SERVING, ...); rejects when the call fails (unknown service too). */
  check(service: string): Promise<string>;
  close(): void;
}

export function healthClient(address: string, opts: { token?: string; credentials?: grpc.ChannelCredentials } = {}): HealthClient {
  const Client = healthService();
  const client = new Client(address, opts.credentials ?? grpc.credentials.createInsecure()) as any;
  const md = new grpc.Metadata();
  if (opts.token) md.set('authorization', `Bearer ${opts.token}`);
  return {
    check: (service) => new Promise((res, rej) => client.check({ service }, md, (e: Error | null, r: { status: string }) => (e ? rej(e) : res(r.status)))),
    close: () => client.close(),
  };
}

/** One check on a channel of its own; 'UNKNOWN' when the call fails (nothing listening yet). */
export async function healthStatus(address: string, service: string): Promise<string> {
  const h = healthClient(address);
  try {
    return await h.check(service);
  } catch {
    return 'UNKNOWN';
  } finally {
    h.close();
  }
}
