import * as net from 'node:net';

/** A server bound to the port on 127.0.0.1 (0: any), exclusively, until closed. */
export function holdPort(port: number): Promise<net.Server> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => res(s));
  });
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const s = await holdPort(0);
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function portIsFree(port: number): Promise<boolean> {
  try {
    const s = await holdPort(port);
    await new Promise<void>((r) => s.close(() => r()));
    return true;
  } catch {
    return false;
  }
}
