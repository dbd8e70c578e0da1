// The one private kafkajs access (offset-commit.ts): fails when a kafkajs upgrade moves it.
// That the commit itself works is proven against a broker by libs/offsets/test/kafka.test.ts.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { CREATE_CLUSTER, groupCommitter, privateCluster } from './offset-commit';

const require = createRequire(import.meta.url);

describe('the simple offset commit on kafkajs internals', () => {
  const kafka = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], clientId: 'shape', logLevel: kafkajs.logLevel.NOTHING });

  it('kafkajs still has its private cluster factory, and the cluster the calls the commit makes', async () => {
    expect(Object.getOwnPropertySymbols(kafka).map((s) => s.description)).toContain(CREATE_CLUSTER);
    const cluster = privateCluster(kafka);
    for (const m of ['connect', 'disconnect', 'findGroupCoordinator'] as const) expect(typeof cluster[m], m).toBe('function');
    // findGroupCoordinator answers with a kafkajs Broker, whose OffsetCommit request the commit sends.
    const Broker = require('kafkajs/src/broker/index.js') as { prototype: Record<string, (...args: unknown[]) => unknown> };
    expect(typeof Broker.prototype.offsetCommit).toBe('function');
    expect(Broker.prototype.offsetCommit.toString()).toMatch(/groupId, groupGenerationId, memberId, retentionTime, topics/);
    await cluster.disconnect();
  });

  it('says so at construction when the factory is gone', () => {
    expect(() => groupCommitter({} as never)).toThrow(/kafkajs internals changed: private:Kafka:createCluster not found/);
  });
});
