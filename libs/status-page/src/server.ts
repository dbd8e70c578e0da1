// HTTP routes of the status page, on a server of its own (status.host:status.port):
//   GET /status        the page (HTML, CSS and JS inline: nothing is read from disk)
//   GET /status/api    the JSON the page polls every second
// With a token: `Authorization: Bearer <token>`, or for a browser `/status?token=<token>` once,
// which sets an HttpOnly, SameSite=Strict cookie and redirects to /status (the token leaves
// the address bar and history). The token is never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { STATUS_PAGE_HTML } from './page';
import type { StateView, StatusState } from './state';
import type { StatusConfig } from './config';

export const STATUS_COOKIE = 'sparkwire_status';

/** What the sidecar adds to the model: its health, spool, Kafka and drops. */
export interface SidecarView {
  version?: string;
  startedMs: number;
  sink: string;
  /** Health entries, e.g. { "sparkwire.kafka": "SERVING", "sparkwire.spool": "NOT_SERVING" }. */
  health: Record<string, string>;
  spool?: { drainer: string; pendingEntries: number; bytes: number; maxBytes: number; oldestPendingMs: number; accepting: boolean; lastError?: string };
  /** Events received, published, duplicates, by the pipeline since start. */
  events: { received: number; published: number; duplicates: number; filtered: number };
  /** Sidecar-side drops: events of refused batches by status, truncated events. */
  sidecarDrops: Record<string, number>;
  /** What each client (the listener in the driver) reported it dropped. */
  clients: { clientId: string; clientKind: string; droppedBufferFull: number; droppedSidecarUnavailable: number; sparkDroppedEvents: number; eventsSent: number; updatedAtMs: number }[];
  openStreams?: number;
}

/** Where the `status` section says to listen (config.ts), the token of the gRPC server, and what is shown. */
export interface StatusServerOptions extends Pick<StatusConfig, 'host' | 'port'> {
  token?: string;
  state: StatusState;
  sidecar: () => SidecarView;
}

export interface StatusServer {
  /** host:port actually bound. */
  address: string;
  port: number;
  /** http://host:port/status */
  url: string;
  close(): Promise<void>;
}

export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  // Compared in constant time over SHA-256 digests: neither the content nor the length leaks.
  const digest = (t: string) => createHash('sha256').update(t).digest();
  const token = opts.token ? digest(opts.token) : undefined;
  const matches = (given: string | undefined): boolean => (token && given !== undefined ? timingSafeEqual(digest(given), token) : false);
  const authorized = (req: IncomingMessage): boolean => {
    if (!token) return true;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && matches(auth.slice(7).trim())) return true;
    return matches(cookie(req.headers.cookie, STATUS_COOKIE));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://status.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    if (path === '/' ) {
      res.writeHead(302, { ...common, location: '/status' }).end();
      return;
    }
    if (path !== '/status' && path !== '/status/api') {
      res.writeHead(404, common).end();
      return;
    }
    const queryToken = url.searchParams.get('token');
    if (path === '/status' && queryToken !== null && matches(queryToken)) {
      res.writeHead(303, {
        ...common,
        'set-cookie': `${STATUS_COOKIE}=${encodeURIComponent(queryToken)}; Path=/status; HttpOnly; SameSite=Strict`,
        location: '/status',
      }).end();
      return;
    }
    if (!authorized(req) && !(queryToken !== null && matches(queryToken))) {
      res.writeHead(401, { ...common, 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="sparkwire"' }).end('401: the status page needs the server token: Authorization: Bearer <token>, or open /status?token=<token> once\n');
      return;
    }
    if (path === '/status') {
      res.writeHead(200, { ...common, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:" }).end(STATUS_PAGE_HTML);
      return;
    }
    let body: string;
    try {
      body = JSON.stringify(snapshot(opts));
    } catch (err) {
      res.writeHead(500, common).end(String((err as Error).message));
      return;
    }
    res.writeHead(200, { ...common, 'content-type': 'application/json; charset=utf-8' }).end(body);
  });
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    address: `${host}:${port}`,
    port,
    url: `http://${host}:${port}/status`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function snapshot(opts: StatusServerOptions): StateView & { now: number; sidecar: SidecarView } {
  return { now: Date.now(), sidecar: opts.sidecar(), ...opts.state.view() };
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
