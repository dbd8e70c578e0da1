// The simple (admin) OffsetCommit, the one place sparkwire reaches inside kafkajs.
//
// kafkajs has no public call for it: admin.setOffsets joins the group with a consumer, takes
// one topic per call and drops the metadata; consumer.commitOffsets needs a member of the
// group. Its broker-level OffsetCommit request is public on kafkajs's Broker, but brokers are
// only reached through a Cluster, which only the Kafka object's private createCluster factory
// builds. That factory is used (not a cluster built by hand) so the commit shares the
// client's brokers, TLS, SASL and retry settings. offset-commit.test.ts fails when kafkajs
// no longer has this shape; offsets' test/kafka.test.ts proves the commit against a broker.
import type { Kafka } from 'kafkajs';
import type { KafkaGroupCommitter, OffsetToCommit } from './client';

/** The part of kafkajs's (private) Cluster the commit uses. */
export interface CommitCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<{
    offsetCommit(args: { groupId: string; groupGenerationId: number; memberId: string; topics: { topic: string; partitions: { partition: number; offset: string; metadata: string }[] }[] }): Promise<unknown>;
  }>;
}

export const CREATE_CLUSTER = 'private:Kafka:createCluster';

/** kafkajs's own cluster factory, found by its symbol's description; throws when kafkajs changed. */
export function privateCluster(kafka: Kafka): CommitCluster {
  const createCluster = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
  if (!createCluster) throw new Error(`kafkajs internals changed: ${CREATE_CLUSTER} not found (offsets commit needs it)`);
  return (kafka as unknown as Record<symbol, (o: object) => CommitCluster>)[createCluster]({ metadataMaxAge: 60_000, allowAutoTopicCreation: false });
}

export function groupCommitter(kafka: Kafka): KafkaGroupCommitter {
  const cluster = privateCluster(kafka);
  let connected: Promise<void> | undefined;
  return {
    async commit(group: string, offsets: OffsetToCommit[]): Promise<void> {
      const byTopic = new Map<string, { partition: number; offset: string; metadata: string }[]>();
      for (const o of offsets) {
        const list = byTopic.get(o.topic) ?? [];
        list.push({ partition: o.partition, offset: String(o.offset), metadata: o.metadata });
        byTopic.set(o.topic, list);
      }
      connected ??= cluster.connect().catch((err) => {
        connected = undefined;
        throw err;
      });
      await connected;
      const coordinator = await cluster.findGroupCoordinator({ groupId: group });
      // kafkajs throws for the first partition error in the response. A coordinator error
      // fails the request as a whole: nothing was written.
      await coordinator.offsetCommit({
        groupId: group,
        groupGenerationId: -1,
        memberId: '',
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    },
    disconnect: () => cluster.disconnect(),
  };
}
