// A gRPC client below grpc-js, for tests that send what grpc-js would never send: raw HTTP/2
// requests whose body is hand-made gRPC framing (1-byte flag, u32 big-endian length, message),
// possibly malformed or cut short. It reads the response messages (acks) and the status.
import * as http2 from 'node:http2';

export const PUBLISH_PATH = '/sparkwire.v1.ListenerService/Publish';
export const STREAM_PATH = '/sparkwire.v1.ListenerService/Stream';

/** One gRPC message: flag 0, the declared length (default: the real one), the bytes. */
export function grpcFrame(message: Uint8Array, declaredLength = message.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, Buffer.from(message)]);
}

export interface RawCallResult {
  /** grpc-status as a number, or -1 when the call ended without one (reset, timeout). */
  code: number;
  message: string;
  /** Response messages (unparsed), in order. */
  messages: Buffer[];
  /** 'timeout' when no status came within the deadline. */
  outcome: 'status' | 'reset' | 'timeout';
  ms: number;
}

/** Splits a response body into gRPC messages. */
export function parseGrpcMessages(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + 5 <= body.length) {
    const len = body.readUInt32BE(pos + 1);
    out.push(body.subarray(pos + 5, pos + 5 + len));
    pos += 5 + len;
  }
  return out;
}

export class RawGrpcClient {
  readonly session: http2.ClientHttp2Session;

  constructor(address: string) {
    this.session = http2.connect(`http://${address}`);
    this.session.on('error', () => undefined);
  }

  /** Sends the body (all of it, then END_STREAM) and waits for the status. */
  call(path: string, body: Buffer, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<RawCallResult> {
    const t0 = Date.now();
    return new Promise((resolve) => {
      let code = -1;
      let message = '';
      const chunks: Buffer[] = [];
      let settled = false;
      const req = this.session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
      const done = (outcome: RawCallResult['outcome']) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ code, message, messages: parseGrpcMessages(Buffer.concat(chunks)), outcome: code >= 0 ? 'status' : outcome, ms: Date.now() - t0 });
      };
      const timer = setTimeout(() => {
        done('timeout');
        req.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) {
          code = Number(h['grpc-status']);
          message = h['grpc-message'] ? decodeURIComponent(String(h['grpc-message'])) : '';
        }
      };
      req.on('response', take);
      req.on('trailers', take);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', () => undefined);
      req.on('close', () => done('reset'));
      req.end(body);
    });
  }

  close(): void {
    this.session.destroy();
  }
}
