// KafkaAdmin on kafkajs's admin client. kafkajs hands offsets over as decimal strings: they
// become bigints here (-1 where kafkajs has none), exact up to 2^63 - 1.
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import type { ConfigResource, KafkaAdmin } from './client';
import { follow, readRanges } from './read-ranges';
// kafkajs is CommonJS: values through the default export (Node's ESM named-export detection misses this one).
const { ConfigResourceTypes } = kafkajs;

/** A Kafka offset from kafkajs's decimal string (-1 when kafkajs has none). */
export function long(s: string | null | undefined): bigint {
  return s && /^-?\d+$/.test(s) ? BigInt(s) : -1n;
}

export function kafkajsAdmin(kafka: Kafka): KafkaAdmin {
  const admin: Admin = kafka.admin();
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    brokerIds: async () => (await admin.describeCluster()).brokers.map((b) => b.nodeId),
    listTopics: () => admin.listTopics(),
    async createTopics(topics) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor })),
      });
    },
    async partitionCounts(topics) {
      const out = new Map<string, number>();
      const md = await admin.fetchTopicMetadata({ topics });
      for (const t of md.topics) out.set(t.name, t.partitions.length);
      return out;
    },
    describeConfig: (resource, name, configName) => describeOne(admin, resource, name, configName),
    topicOffsets: async (topic) => (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: long(p.low), high: long(p.high) })),
    topicOffsetsByTimestamp: async (topic, ms) => (await admin.fetchTopicOffsetsByTimestamp(topic, ms)).map((p) => ({ partition: p.partition, offset: long(p.offset) })),
    async committedOffsets(group, topics) {
      const res = await admin.fetchOffsets({ groupId: group, topics });
      return res.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: long(p.offset), metadata: p.metadata ?? null })));
    },
    readRanges: (ranges, onRecord, opts) => readRanges(kafka, admin, ranges, onRecord, opts?.timeoutMs ?? 30_000),
    follow: (topics, from, onRecord, until) => follow(kafka, admin, topics, from, onRecord, until),
    async groupState(group) {
      const [g] = (await admin.describeGroups([group])).groups;
      return { state: g?.state ?? 'Dead', members: g?.members.length ?? 0 };
    },
    async setGroupOffsets(group, topic, offsets) {
      await admin.setOffsets({ groupId: group, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
    },
  };
}

async function describeOne(admin: Admin, resource: ConfigResource, name: string, config: string): Promise<string | undefined> {
  const type = resource === 'broker' ? ConfigResourceTypes.BROKER : ConfigResourceTypes.TOPIC;
  const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type, name, configNames: [config] }] });
  return r.resources.find((x) => x.resourceName === name)?.configEntries.find((e) => e.configName === config)?.configValue;
}
