// A real OTLP receiver for tests: a gRPC server implementing
// opentelemetry.proto.collector.{trace,metrics}.v1.{TraceService,MetricsService}/Export and
// an HTTP server accepting POST /v1/traces and /v1/metrics (application/x-protobuf). Both
// decode the OTLP protobuf with @grpc/proto-loader from the official .proto files in
// ../otlp-proto, and keep what arrived as plain objects the tests can assert on.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const OTLP_PROTO_ROOT = resolve(import.meta.dirname, '../otlp-proto');
const TRACE_SERVICE = 'opentelemetry.proto.collector.trace.v1.TraceService';
const METRICS_SERVICE = 'opentelemetry.proto.collector.metrics.v1.MetricsService';

export type Via = 'grpc' | 'http';

export interface ReceivedEvent {
  name: string;
  timeMs: number;
  attributes: Record<string, unknown>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: string;
  startNs: bigint;
  endNs: bigint;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  status: { code: string; message: string };
  events: ReceivedEvent[];
  droppedEventsCount: number;
  /** OTLP span flags: W3C trace flags in the low byte, 0x100 = has-is-remote, 0x200 = parent is remote. */
  flags: number;
  resource: Record<string, unknown>;
  scope: string;
  via: Via;
}

export interface ReceivedDataPoint {
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
  sum?: number;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  type: string;
  dataPoints: ReceivedDataPoint[];
  resource: Record<string, unknown>;
  via: Via;
}

export interface OtlpReceiver {
  /** For the gRPC exporter: http://127.0.0.1:port */
  grpcUrl: string;
  /** For the HTTP exporter (base address; add /v1/traces for a signal-specific URL): http://127.0.0.1:port */
  httpUrl: string;
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  requests: Record<Via, { traces: number; metrics: number }>;
  /** Resolves once `check` holds for the spans received so far. */
  waitForSpans(check: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForMetrics(check: (metrics: ReceivedMetric[]) => boolean, timeoutMs?: number): Promise<ReceivedMetric[]>;
  clear(): void;
  close(): Promise<void>;
}

type Decoded = Record<string, any>;

function loadOtlp(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto'], {
    includeDirs: [OTLP_PROTO_ROOT],
    longs: String, // fixed64 nanosecond times exceed 2^53
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

function anyValue(v: Decoded | undefined): unknown {
  if (!v || !v.value) return undefined;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return Number(v.intValue);
    case 'doubleValue':
      return v.doubleValue;
    case 'arrayValue':
      return (v.arrayValue.values as Decoded[]).map(anyValue);
    case 'kvlistValue':
      return attributes(v.kvlistValue.values);
    case 'bytesValue':
      return Buffer.from(v.bytesValue).toString('hex');
    default:
      return undefined;
  }
}

function attributes(kvs: Decoded[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

const hex = (b: Buffer | Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '');
const nsToMs = (ns: bigint) => Number(ns / 1_000_000n);

export function spansFromRequest(req: Decoded, via: Via): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const startNs = BigInt(s.startTimeUnixNano);
        const endNs = BigInt(s.endTimeUnixNano);
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          startNs,
          endNs,
          startMs: nsToMs(startNs),
          endMs: nsToMs(endNs),
          attributes: attributes(s.attributes),
          status: { code: s.status?.code ?? 'STATUS_CODE_UNSET', message: s.status?.message ?? '' },
          events: (s.events ?? []).map((e: Decoded) => ({ name: e.name, timeMs: nsToMs(BigInt(e.timeUnixNano)), attributes: attributes(e.attributes) })),
          droppedEventsCount: s.droppedEventsCount ?? 0,
          flags: s.flags ?? 0,
          resource,
          scope: ss.scope?.name ?? '',
          via,
        });
      }
    }
  }
  return out;
}

function point(p: Decoded): ReceivedDataPoint {
  const value = p.value === 'asInt' ? Number(p.asInt) : p.value === 'asDouble' ? p.asDouble : undefined;
  return {
    attributes: attributes(p.attributes),
    value,
    count: p.count !== undefined ? Number(p.count) : undefined,
    sum: p.sum,
  };
}

export function metricsFromRequest(req: Decoded, via: Via): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const rm of req.resourceMetrics ?? []) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const type = m.data as string;
        const data = m[type] as Decoded | undefined;
        out.push({ name: m.name, unit: m.unit, type, dataPoints: (data?.dataPoints ?? []).map(point), resource, via });
      }
    }
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function until<T>(what: string, get: () => T[], check: (items: T[]) => boolean, timeoutMs: number): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check(get())) return get();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (have ${get().length})`);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const def = loadOtlp();
  const traceExport = (def[TRACE_SERVICE] as grpc.ServiceDefinition).Export;
  const metricsExport = (def[METRICS_SERVICE] as grpc.ServiceDefinition).Export;
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const requests: OtlpReceiver['requests'] = { grpc: { traces: 0, metrics: 0 }, http: { traces: 0, metrics: 0 } };

  const server = new grpc.Server();
  server.addService(def[TRACE_SERVICE] as grpc.ServiceDefinition, {
    Export: (call: grpc.ServerUnaryCall<Decoded, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      requests.grpc.traces++;
      spans.push(...spansFromRequest(call.request, 'grpc'));
      cb(null, {});
    },
  });
  server.addService(def[METRICS_SERVICE] as grpc.ServiceDefinition, {
    Export: (call: grpc.ServerUnaryCall<Decoded, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      requests.grpc.metrics++;
      metrics.push(...metricsFromRequest(call.request, 'grpc'));
      cb(null, {});
    },
  });
  const grpcPort = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? rej(err) : res(port))),
  );

  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const type = req.headers['content-type'] ?? '';
      if (req.method !== 'POST' || !type.startsWith('application/x-protobuf')) {
        res.writeHead(415).end();
        return;
      }
      try {
        if (req.url === '/v1/traces') {
          requests.http.traces++;
          spans.push(...spansFromRequest(traceExport.requestDeserialize(body) as Decoded, 'http'));
        } else if (req.url === '/v1/metrics') {
          requests.http.metrics++;
          metrics.push(...metricsFromRequest(metricsExport.requestDeserialize(body) as Decoded, 'http'));
        } else {
          res.writeHead(404).end();
          return;
        }
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        return;
      }
      // An empty Export*ServiceResponse is a zero-length protobuf message.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    })();
  });
  const httpPort = await new Promise<number>((res) => http.listen(0, '127.0.0.1', () => res((http.address() as { port: number }).port)));

  return {
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    spans,
    metrics,
    requests,
    waitForSpans: (check, timeoutMs = 30_000) => until('spans', () => spans, check, timeoutMs),
    waitForMetrics: (check, timeoutMs = 30_000) => until('metrics', () => metrics, check, timeoutMs),
    clear() {
      spans.length = 0;
      metrics.length = 0;
    },
    async close() {
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

/** Children by parent span id, for walking a received trace. */
export function childrenOf(spans: ReceivedSpan[]): Map<string, ReceivedSpan[]> {
  const m = new Map<string, ReceivedSpan[]>();
  for (const s of spans) {
    const list = m.get(s.parentSpanId) ?? [];
    list.push(s);
    m.set(s.parentSpanId, list);
  }
  return m;
}
