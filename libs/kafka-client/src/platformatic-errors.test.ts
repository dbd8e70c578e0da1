// The broker's error name out of @platformatic/kafka's error trees, built with its own classes
// in the shapes its producer throws (the real-broker cases: test/kafka-client.int.test.ts and
// libs/kafka-sink/src/kafka-sink.int.test.ts).
import { describe, expect, it } from 'vitest';
import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError, UserError } from '@platformatic/kafka';
import { fromPlatformatic, platformaticErrorType, PlatformaticKafkaError } from './platformatic-errors';

// What the producer's send() rejects with: per broker ("Producing messages failed."), per attempt ("produce failed N times.").
const produceFailure = (...attempts: Error[]) => new MultipleErrors('Producing messages failed.', [attempts.length > 1 ? new MultipleErrors(`produce failed ${attempts.length} times.`, attempts) : attempts[0]]);
const response = (code: number) => new ResponseError(0, 9, { '/responses/0/partitionResponses/0': [code, 'from the broker'] }, {});

describe('fromPlatformatic', () => {
  it('puts the broker error name of a partition response in type, the original as cause', () => {
    const raw = produceFailure(response(10)); // MESSAGE_TOO_LARGE
    const e = fromPlatformatic(raw, 'kafka produce failed') as PlatformaticKafkaError;
    expect(e).toBeInstanceOf(PlatformaticKafkaError);
    expect(e.type).toBe('MESSAGE_TOO_LARGE');
    expect(e.retriable).toBe(false);
    expect(e.cause).toBe(raw);
    expect(e.message).toMatch(/^kafka produce failed: Producing messages failed\..*MESSAGE_TOO_LARGE/);
  });

  it('finds it after retries (the last attempt need not carry it) and prefers a named error over UNKNOWN_SERVER_ERROR', () => {
    const raw = produceFailure(response(-1), response(6), new NetworkError('Connection closed'));
    expect(platformaticErrorType(raw)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(platformaticErrorType(produceFailure(response(-1)))).toBe('UNKNOWN_SERVER_ERROR');
    expect(platformaticErrorType(new ProtocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  it('a topic missing from the metadata is UNKNOWN_TOPIC_OR_PARTITION, as kafkajs reports it', () => {
    expect((fromPlatformatic(new UserError('Unknown topic kc-missing.'), 'x') as PlatformaticKafkaError).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('connection failures and timeouts have no broker name; SASL failures keep the broker cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
    const down = fromPlatformatic(new MultipleErrors('initProducerId failed 3 times.', [new NetworkError('Connection to 127.0.0.1:9092 failed.', { cause: refused })]), 'connect') as PlatformaticKafkaError;
    expect(down.type).toBeUndefined();
    expect(down.retriable).toBe(true);
    expect(down.message).toContain('ECONNREFUSED');
    const timeout = fromPlatformatic(produceFailure(new TimeoutError('Request timed out')), 'send') as PlatformaticKafkaError;
    expect(timeout.type).toBeUndefined();
    expect(timeout.message).toContain('Request timed out');
    const sasl = fromPlatformatic(new AuthenticationError('SASL authentication failed.', { cause: new ProtocolError('SASL_AUTHENTICATION_FAILED') }), 'connect') as PlatformaticKafkaError;
    expect(sasl.type).toBe('SASL_AUTHENTICATION_FAILED');
  });

  it('leaves errors that are not @platformatic/kafka\'s alone', () => {
    const e = new Error('other');
    expect(fromPlatformatic(e, 'x')).toBe(e);
  });
});
