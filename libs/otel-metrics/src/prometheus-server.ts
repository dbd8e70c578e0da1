// The Prometheus scrape endpoint: our own HTTP server (host, port and path from sparkwire's
// config, port 0 allowed) in front of the OpenTelemetry Prometheus exporter's handler.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

export interface PrometheusServerOptions {
  host: string;
  port: number;
  path: string;
}

export interface PrometheusServer {
  /** host:port actually bound. */
  address: string;
  port: number;
  /** http://host:port/path */
  url: string;
  close(): Promise<void>;
}

/** The text exposition format version Prometheus expects. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export async function startPrometheusServer(exporter: PrometheusExporter, opts: PrometheusServerOptions): Promise<PrometheusServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === opts.path) {
      exporter.getMetricsRequestHandler(req, res);
      // The exporter sets plain text/plain; headers go out only when it ends the response.
      res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`sparkwire metrics: ${opts.path}\n`);
      return;
    }
    res.writeHead(404).end();
  });
  // A scrape endpoint must never keep the process alive on its own.
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
    url: `http://${host}:${port}${opts.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
