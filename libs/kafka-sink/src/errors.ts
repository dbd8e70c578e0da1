// Which Kafka failures are about the records themselves and which are about the cluster.
//
//   refused     the broker refused the records for what they are (too large, invalid for the
//               topic): sending the same records again cannot succeed. The spool sets them
//               aside (dead-letter store) and goes on with the records behind them.
//   producer    the idempotent producer's state is out of step with the broker (sequence
//               numbers, producer id): a new producer fixes it; then retried.
//   retry       everything else: broker down, timeouts, leader changes, unknown topic,
//               authorization and SASL failures. They concern every record alike, so the
//               records are kept and retried until Kafka takes them (health NOT_SERVING).
//
// kafkajs wraps protocol errors (KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded):
// the chain of causes is searched for the broker's error type. The @platformatic/kafka producer
// (kafka.client: platformatic) throws a PlatformaticKafkaError with the broker's error name in
// `type` already (libs/kafka-client/src/platformatic-errors.ts searches its error trees).

/** Errors the broker returns for the content of a produce request. */
export const RECORD_ERRORS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  // Retriable for kafkajs (a CRC mismatch could be corruption on the way): only reached once
  // kafkajs has retried the same request `retries` times.
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/** Errors of the idempotent producer's state, fixed by starting a new producer. */
export const PRODUCER_ERRORS: ReadonlySet<string> = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

/** Size refusals: the limits are read again at once. */
export const SIZE_ERRORS: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

export type FailureKind = 'refused' | 'producer' | 'retry';

/** The broker's error type (e.g. MESSAGE_TOO_LARGE) anywhere in the chain of causes. */
export function kafkaErrorType(err: unknown): string | undefined {
  let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && depth < 8; depth++) {
    if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return undefined;
}

export function classify(err: unknown): { kind: FailureKind; type?: string } {
  const type = kafkaErrorType(err);
  if (type && RECORD_ERRORS.has(type)) return { kind: 'refused', type };
  if (type && PRODUCER_ERRORS.has(type)) return { kind: 'producer', type };
  return { kind: 'retry', type };
}
