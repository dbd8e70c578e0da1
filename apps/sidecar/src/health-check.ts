// `sparkwire health`: asks a running sidecar's grpc.health.v1 for one service's status and
// exits 0 only when it is SERVING. It is what a container HEALTHCHECK runs (the image holds
// nothing but node and the standalone file, no grpc_health_probe); Kubernetes uses its
// native gRPC probes instead (deploy/kubernetes/).
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export async function checkHealth(address: string, serviceName: string, timeoutMs: number): Promise<string> {
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve, reject) =>
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (m: { service: string }) => healthService.Check.requestSerialize(m),
        (b: Buffer) => healthService.Check.responseDeserialize(b) as { status: string | number },
        { service: serviceName },
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null, res?: { status: string | number }) => (err ? reject(err) : resolve(String(res!.status))),
      ),
    );
  } finally {
    client.close();
  }
}
