// Which Kafka failures set records aside (errors.ts), on the errors kafkajs throws.
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PlatformaticKafkaError } from '@sparkwire/kafka-client';
import { classify, kafkaErrorType } from './errors';

describe('classify', () => {
  const protocol = (type: string, retriable: boolean) => new kafkajs.KafkaJSProtocolError({ message: type, type, code: 1, retriable } as never);

  it('finds the broker error inside the wrappers kafkajs puts around it', () => {
    const tooLarge = protocol('MESSAGE_TOO_LARGE', false);
    const wrapped = new (kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(tooLarge, { cause: tooLarge });
    expect(kafkaErrorType(wrapped)).toBe('MESSAGE_TOO_LARGE');
    expect(classify(wrapped)).toEqual({ kind: 'refused', type: 'MESSAGE_TOO_LARGE' });
    const corrupt = protocol('CORRUPT_MESSAGE', true);
    expect(classify(new kafkajs.KafkaJSNumberOfRetriesExceeded(corrupt, { retryCount: 5, retryTime: 100 } as never)).kind).toBe('refused');
  });

  it('retries what concerns every record alike, renews the producer for sequence errors', () => {
    expect(classify(new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED' as never)).kind).toBe('retry');
    expect(classify(protocol('TOPIC_AUTHORIZATION_FAILED', false)).kind).toBe('retry');
    expect(classify(protocol('UNKNOWN_TOPIC_OR_PARTITION', true)).kind).toBe('retry');
    expect(classify(new kafkajs.KafkaJSNonRetriableError(protocol('SASL_AUTHENTICATION_FAILED', false) as never)).kind).toBe('retry');
    expect(classify(protocol('OUT_OF_ORDER_SEQUENCE_NUMBER', false)).kind).toBe('producer');
    expect(classify(new Error('timeout')).kind).toBe('retry');
  });

  it('classifies what the platformatic producer throws (its broker error name in type)', () => {
    const wrap = (cause: Error, type?: string) => new PlatformaticKafkaError('kafka produce failed', { type, retriable: type === undefined, cause });
    // The @platformatic/kafka trees themselves: libs/kafka-client/src/platformatic-errors.test.ts; real-broker ones: kafka-sink.int.test.ts.
    const tooLarge = new AggregateError([new Error('The request included a message larger than the max message size the server will accept.')], 'Producing messages failed.');
    expect(classify(wrap(tooLarge, 'MESSAGE_TOO_LARGE'))).toEqual({ kind: 'refused', type: 'MESSAGE_TOO_LARGE' });
    expect(classify(wrap(tooLarge, 'OUT_OF_ORDER_SEQUENCE_NUMBER')).kind).toBe('producer');
    expect(classify(wrap(new Error('Connection closed')))).toEqual({ kind: 'retry', type: undefined });
  });
});
