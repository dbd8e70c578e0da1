// Bearer-token check for every RPC. Compared in constant time over SHA-256 digests so
// neither the content nor the length of the configured token leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

export type TokenCheck = (metadata: Metadata) => 'ok' | 'missing' | 'wrong';

export function tokenCheck(token: string | undefined): TokenCheck {
  if (!token) return () => 'ok';
  const want = createHash('sha256').update(token).digest();
  return (metadata) => {
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return 'missing';
    const got = createHash('sha256').update(header.slice('Bearer '.length)).digest();
    return timingSafeEqual(got, want) ? 'ok' : 'wrong';
  };
}
