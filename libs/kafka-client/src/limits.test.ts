// The limit arithmetic. The same against a real broker (the limits read with describeConfigs,
// exact sizes accepted and refused): libs/kafka-sink/src/kafka-sink.int.test.ts.
import { describe, expect, it } from 'vitest';
import type { KafkaAdmin } from './client';
import { BATCH_OVERHEAD_BYTES, compressionMargin, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, KafkaLimits, RECORD_OVERHEAD_BYTES } from './limits';

const quiet = { info: () => undefined, warn: () => undefined };

/** A fake admin answering brokerIds / listTopics / describeConfig. */
function fakeAdmin(brokerLimit: number | undefined, topicLimits: Record<string, number>, fail = false) {
  return {
    brokerIds: async () => {
      if (fail) throw new Error('not authorized');
      return [1, 2];
    },
    listTopics: async () => Object.keys(topicLimits),
    describeConfig: async (resource: string, name: string) =>
      resource === 'broker' ? (brokerLimit === undefined ? undefined : String(name === '2' ? brokerLimit - 10 : brokerLimit)) : String(topicLimits[name]),
  } as unknown as KafkaAdmin;
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
