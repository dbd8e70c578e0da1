// Extra unary services get the receiver's token check and shutdown refusal.
import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { tokenCheck } from './auth';
import { guardUnary } from './extra-services';

function invoke(impl: grpc.UntypedServiceImplementation, token?: string): Promise<{ err: grpc.ServiceError | null; res?: unknown }> {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) =>
    (impl.echo as grpc.handleUnaryCall<unknown, unknown>)({ metadata, request: 'hi' } as unknown as grpc.ServerUnaryCall<unknown, unknown>, (err, res) =>
      resolve({ err: err as grpc.ServiceError | null, res }),
    ),
  );
}

describe('guardUnary', () => {
  const inner: grpc.UntypedServiceImplementation = { echo: ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, call.request)) as grpc.UntypedHandleCall };

  it('passes calls with the token, refuses others as UNAUTHENTICATED and counts them', async () => {
    let failures = 0;
    const g = guardUnary(inner, tokenCheck('a-token-of-16-chars'), () => failures++, () => false);
    expect((await invoke(g, 'a-token-of-16-chars')).res).toBe('hi');
    expect((await invoke(g)).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await invoke(g, 'wrong-token-xxxxxxx')).err?.details).toBe('authorization: token not accepted');
    expect(failures).toBe(2);
  });

  it('refuses with UNAVAILABLE while the server drains', async () => {
    const g = guardUnary(inner, tokenCheck(undefined), () => undefined, () => true);
    expect((await invoke(g)).err?.code).toBe(grpc.status.UNAVAILABLE);
  });
});
