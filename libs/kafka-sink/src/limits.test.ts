// The limit arithmetic, and which Kafka failures set records aside. The same against a real
// broker (the limits read with describeConfigs, exact sizes accepted and refused):
// kafka-sink.int.test.ts.
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classify, kafkaErrorType } from './errors';
import { BATCH_OVERHEAD_BYTES, compressionMargin, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, KafkaLimits, RECORD_OVERHEAD_BYTES } from './limits';

const quiet = { info: () => undefined, warn: () => undefined };

/** A fake admin answering describeCluster / listTopics / describeConfigs. */
function fakeAdmin(brokerLimit: number | undefined, topicLimits: Record<string, number>, fail = false) {
  return {
    describeCluster: async () => {
      if (fail) throw new Error('not authorized');
      return { brokers: [{ nodeId: 1 }, { nodeId: 2 }], controller: 1, clusterId: 'c' };
    },
    listTopics: async () => Object.keys(topicLimits),
    describeConfigs: async ({ resources }: { resources: Array<{ type: number; name: string; configNames: string[] }> }) => ({
      resources: resources.map((r) => ({
        resourceName: r.name,
        configEntries:
          r.type === kafkajs.ConfigResourceTypes.BROKER
            ? brokerLimit === undefined
              ? []
              : [{ configName: 'message.max.bytes', configValue: String(r.name === '2' ? brokerLimit - 10 : brokerLimit) }]
            : [{ configName: 'max.message.bytes', configValue: String(topicLimits[r.name]) }],
      })),
    }),
  } as unknown as kafkajs.Admin;
}

describe('KafkaLimits', () => {
  it("assumes Kafka's default until the limits are read", () => {
    const l = new KafkaLimits(['events'], 'none', quiet);
    expect(l.maxMessageBytes('events')).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    expect(l.maxRecordBytes('events')).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES - RECORD_OVERHEAD_BYTES);
    expect(l.requestBytes(900 * 1024)).toBe(900 * 1024);
    expect(l.requestBytes(4 * 1024 * 1024)).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES);
  });

  it('reads the smallest broker limit and each topic limit; a request fits the smallest topic', async () => {
    const changes: unknown[] = [];
    const l = new KafkaLimits(['events', 'tasks'], 'none', quiet, (s) => changes.push(s));
    await l.refresh(fakeAdmin(5_000_000, { events: 3_000_000, tasks: 200_000 }));
    expect(l.snapshot().brokerMaxMessageBytes).toBe(4_999_990);
    expect(l.maxMessageBytes('events')).toBe(3_000_000);
    expect(l.maxMessageBytes('tasks')).toBe(200_000);
    // A topic that does not exist yet gets the broker's limit.
    expect(l.maxMessageBytes('other')).toBe(4_999_990);
    expect(l.maxRecordBytes('events')).toBe(3_000_000 - 61 - 32);
    expect(l.requestBytes(900 * 1024)).toBe(200_000 - 61);
    expect(changes).toHaveLength(1);
    // Unchanged: no change reported.
    await l.refresh(fakeAdmin(5_000_000, { events: 3_000_000, tasks: 200_000 }));
    expect(changes).toHaveLength(1);
    await l.refresh(fakeAdmin(5_000_000, { events: 3_000_000, tasks: 2_000_000 }));
    expect(changes).toHaveLength(2);
    expect(l.requestBytes(900 * 1024)).toBe(900 * 1024);
  });

  it('keeps the last known limits when they cannot be read, and warns once', async () => {
    const warned: string[] = [];
    const l = new KafkaLimits(['events'], 'none', { info: () => undefined, warn: (_o, m) => warned.push(m) });
    await l.refresh(fakeAdmin(2_000_000, { events: 2_000_000 }));
    await l.refresh(fakeAdmin(0, {}, true));
    await l.refresh(fakeAdmin(0, {}, true));
    expect(l.maxMessageBytes('events')).toBe(2_000_000);
    expect(warned).toHaveLength(1);
    expect(l.snapshot().lastError).toBe('not authorized');
  });

  it('leaves room for gzip making incompressible data larger', () => {
    expect(compressionMargin(1_048_588, 'none')).toBe(0);
    // deflate adds at most ~5 bytes per 16 KiB stored block plus headers: 0.05% is ample.
    expect(compressionMargin(1_048_588, 'gzip')).toBeGreaterThan(Math.ceil((1_048_588 / 16384) * 5) + 18);
    const l = new KafkaLimits(['events'], 'gzip', quiet);
    expect(l.maxRecordBytes('events')).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES - 61 - 32 - compressionMargin(KAFKA_DEFAULT_MAX_MESSAGE_BYTES, 'gzip'));
  });
});

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
});
