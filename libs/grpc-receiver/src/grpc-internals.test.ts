// The stream read-ahead limit reaches into Node's Readable state of grpc-js's call object
// (grpc-internals.ts): if an upgrade moves it, this fails instead of streams silently
// buffering 16 batches each. The partial-message internals are pinned in listener-frames.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { limitReadAhead } from './grpc-internals';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const identity = (x: Buffer) => x;
const probe = { path: '/p.P/Probe', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };

describe('grpc-js internals', () => {
  it('a server stream reads one message ahead once limitReadAhead has run', async () => {
    let seen: { applied: boolean; highWaterMark: number } | undefined;
    const server = new grpc.Server();
    server.addService({ probe } as never, {
      probe: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const applied = limitReadAhead(call);
        seen = { applied, highWaterMark: call.readableHighWaterMark };
        call.end();
      },
    });
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    closers.push(() => server.forceShutdown());
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    closers.push(() => client.close());
    const stream = client.makeBidiStreamRequest(probe.path, identity, identity);
    await new Promise<void>((resolve) => {
      stream.on('status', () => resolve());
      stream.on('error', () => {});
      stream.resume();
      stream.end();
    });
    expect(seen).toEqual({ applied: true, highWaterMark: 1 });
  });
});
