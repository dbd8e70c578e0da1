// The connection settings' defaults and what a producer of each library cannot honour.
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENTS, kafkaConnectionSchema, kafkaConnectionSettings, kafkaProducerIssues } from './config';

describe('kafka connection settings', () => {
  it('kafka.client defaults to DEFAULT_KAFKA_CLIENT; both libraries selectable', () => {
    expect(kafkaConnectionSchema.parse({ brokers: ['k:9092'] }).client).toBe(DEFAULT_KAFKA_CLIENT);
    for (const client of KAFKA_CLIENTS) expect(kafkaConnectionSettings(kafkaConnectionSchema.parse({ brokers: ['k:9092'], client })).client).toBe(client);
    expect(() => kafkaConnectionSchema.parse({ brokers: ['k:9092'], client: 'librdkafka' })).toThrow();
  });

  it('kafka.retries 0: refused for kafkajs (its idempotent producer needs 1), taken by platformatic', () => {
    expect(kafkaProducerIssues({ client: 'kafkajs', retries: 0 })).toEqual([{ path: ['retries'], message: expect.stringMatching(/^0 is not possible with kafka\.client kafkajs: .*at least 1/) }]);
    expect(kafkaProducerIssues({ client: 'kafkajs', retries: 1 })).toEqual([]);
    expect(kafkaProducerIssues({ client: 'platformatic', retries: 0 })).toEqual([]);
    expect(kafkaProducerIssues(kafkaConnectionSchema.parse({ brokers: ['k:9092'] }))).toEqual([]);
  });
});
