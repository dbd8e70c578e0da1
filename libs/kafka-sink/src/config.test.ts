// The kafka section's checks across settings: what the chosen producer library cannot do.
import { describe, expect, it } from 'vitest';
import { zstdAvailable } from '@sparkwire/kafka-client';
import { kafkaSectionIssues, kafkaSectionSchema } from './config';

const section = (o: Record<string, unknown>) => kafkaSectionSchema.parse({ brokers: ['k:9092'], ...o });
const paths = (o: Record<string, unknown>) => kafkaSectionIssues(section(o)).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('kafkaSectionIssues', () => {
  it('the defaults pass', () => {
    expect(paths({})).toEqual([]);
  });

  it('kafka.retries 0 only with kafka.client platformatic', () => {
    expect(paths({ client: 'kafkajs', retries: 0 })).toEqual([expect.stringMatching(/^retries: 0 is not possible with kafka\.client kafkajs/)]);
    expect(paths({ client: 'platformatic', retries: 0 })).toEqual([]);
  });

  it('lz4 and zstd only with kafka.client platformatic (zstd also where node:zlib has it)', () => {
    expect(paths({ client: 'kafkajs', compression: 'lz4' })).toEqual([expect.stringMatching(/^compression: lz4 needs kafka\.client platformatic/)]);
    expect(paths({ client: 'platformatic', compression: 'lz4' })).toEqual([]);
    expect(paths({ client: 'platformatic', compression: 'zstd' })).toEqual(zstdAvailable() ? [] : [expect.stringMatching(/^compression: zstd needs Node 22\.15\+/)]);
  });
});
