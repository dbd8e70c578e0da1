// Clients that misbehave on purpose, below grpc-js: raw TCP and raw HTTP/2 with hand-made
// gRPC frames (5-byte prefix: compressed flag, u32 big-endian length, then the message).
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';

export const PUBLISH_PATH = '/sparkwire.v1.ListenerService/Publish';
export const STREAM_PATH = '/sparkwire.v1.ListenerService/Stream';

export function grpcFrame(message: Uint8Array, declaredLength = message.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, Buffer.from(message)]);
}

/** Opens a TCP connection, writes the bytes, waits for the server to close or `waitMs`. */
export function rawTcp(port: number, bytes: Buffer, waitMs = 2000): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let settled = false;
    const done = (how: 'closed' | 'open') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => done('open'), waitMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', () => undefined);
    sock.on('close', () => done('closed'));
    sock.on('error', () => done('closed'));
  });
}

export function randomGarbage(maxLen = 4096): Buffer {
  return randomBytes(1 + Math.floor(Math.random() * maxLen));
}

export interface RawResult {
  /** grpc-status from the trailers (or headers), or a transport outcome. */
  status: string;
  message?: string;
}

/** One HTTP/2 session that sends hand-made gRPC requests. */
export class RawGrpc {
  readonly session: http2.ClientHttp2Session;

  constructor(address: string) {
    this.session = http2.connect(`http://${address}`);
    this.session.on('error', () => undefined);
  }

  /** Sends one request body (already framed) and reads the status. */
  call(path: string, body: Buffer, opts: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<RawResult> {
    return new Promise((resolve) => {
      let status: string | undefined;
      let message: string | undefined;
      const req = this.session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...opts.headers });
      const timer = setTimeout(() => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        resolve({ status: 'TIMEOUT' });
      }, opts.timeoutMs ?? 10_000);
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) {
          status = String(h['grpc-status']);
          message = h['grpc-message'] ? decodeURIComponent(String(h['grpc-message'])) : undefined;
        }
      };
      req.on('response', take);
      req.on('trailers', take);
      req.on('data', () => undefined);
      req.on('error', () => undefined);
      req.on('close', () => {
        clearTimeout(timer);
        resolve({ status: status ?? `RST:${req.rstCode}`, message });
      });
      req.end(body);
    });
  }

  /** A stream that sends part of a frame and then stops (held open until closed). */
  open(path: string, headers: Record<string, string> = {}): http2.ClientHttp2Stream {
    const req = this.session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    req.on('error', () => undefined);
    req.on('data', () => undefined);
    return req;
  }

  close(): void {
    this.session.destroy();
  }
}
