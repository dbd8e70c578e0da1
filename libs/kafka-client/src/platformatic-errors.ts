// @platformatic/kafka's errors -> the contract of client.ts: the broker's error name in `type`.
//
// @platformatic/kafka reports a failed send as a tree: MultipleErrors ("Producing messages
// failed.", one entry per broker) of MultipleErrors ("produce failed 3 times.", one entry per
// attempt) of ResponseError (one ProtocolError per partition, the broker's name in `apiId`,
// e.g. MESSAGE_TOO_LARGE), or of NetworkError / TimeoutError when no answer came. The sink
// (libs/kafka-sink/src/errors.ts) looks for `type` along `cause`, so the tree is searched here
// once and the first broker error name put on top; the original stays the `cause`.
//
// Errors without a broker name: a topic missing from the metadata is a UserError ("Unknown
// topic x.") in @platformatic/kafka, and UNKNOWN_TOPIC_OR_PARTITION (what kafkajs reports)
// here. Connection failures and timeouts carry no type, as with kafkajs: the sink retries them.

/** What the platformatic producer throws: the broker's error name, when there is one, in `type`. */
export class PlatformaticKafkaError extends Error {
  /** The broker's error name (MESSAGE_TOO_LARGE, NOT_LEADER_OR_FOLLOWER, ...), if the broker answered with one. */
  readonly type?: string;
  /** @platformatic/kafka's code of the outermost error (PLT_KFK_MULTIPLE, PLT_KFK_NETWORK, ...). */
  readonly code?: string;
  /** False when @platformatic/kafka would not retry it (a protocol error marked non-retriable, a timeout, a user error). */
  readonly retriable: boolean;

  constructor(message: string, opts: { type?: string; code?: string; retriable: boolean; cause: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'PlatformaticKafkaError';
    this.type = opts.type;
    this.code = opts.code;
    this.retriable = opts.retriable;
  }
}

interface PltError {
  message?: string;
  code?: string;
  apiId?: unknown;
  canRetry?: unknown;
  errors?: unknown[];
  cause?: unknown;
}

const children = (e: PltError): unknown[] => [...(Array.isArray(e.errors) ? e.errors : []), ...(e.cause ? [e.cause] : [])];

/** Depth-first over errors and causes, each node once, at most 200 nodes. */
function walk(err: unknown, visit: (e: PltError) => void): void {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0 && seen.size < 200) {
    const e = stack.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    visit(e as PltError);
    stack.push(...children(e as PltError).reverse());
  }
}

/** The first broker error name in the tree (ProtocolError.apiId). */
export function platformaticErrorType(err: unknown): string | undefined {
  let type: string | undefined;
  walk(err, (e) => {
    if (type) return;
    if (typeof e.apiId === 'string' && e.apiId !== 'UNKNOWN_SERVER_ERROR') type = e.apiId;
    else if (e.code === 'PLT_KFK_USER' && typeof e.message === 'string' && /^Unknown topic /.test(e.message)) type = 'UNKNOWN_TOPIC_OR_PARTITION';
  });
  if (type) return type;
  walk(err, (e) => {
    if (!type && typeof e.apiId === 'string') type = e.apiId;
  });
  return type;
}

/** The distinct messages of the leaves (the outer ones only say "failed N times"), joined. */
function leafMessages(err: unknown): string[] {
  const out: string[] = [];
  walk(err, (e) => {
    if (children(e).length > 0) return;
    const m = typeof e.message === 'string' ? e.message : String(e);
    if (m && !out.includes(m)) out.push(m);
  });
  return out;
}

/** Wraps what @platformatic/kafka threw (anything else passes through unchanged). */
export function fromPlatformatic(err: unknown, what: string): Error {
  if (err instanceof PlatformaticKafkaError) return err;
  const e = err as PltError | undefined;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !e.code.startsWith('PLT_KFK_')) return err instanceof Error ? err : new Error(String(err));
  let retriable = true;
  walk(err, (x) => {
    if (x.canRetry === false) retriable = false;
  });
  const type = platformaticErrorType(err);
  const leaves = leafMessages(err).slice(0, 3);
  const top = e.message ?? what;
  const message = `${what}: ${[top, ...leaves.filter((l) => l !== top)].join(': ')}${type ? ` (${type})` : ''}`;
  return new PlatformaticKafkaError(message, { type, code: e.code, retriable, cause: err });
}
