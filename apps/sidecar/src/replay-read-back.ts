// What a replay already published: the event ids of replayed events ("evlog:..." ids, see
// @sparkwire/event-log replayEventId) that the target topics hold now. Read with a throwaway
// consumer group (a fresh group reading from the log start, no commits, deleted afterwards),
// up to each partition's high watermark at the start, so a second replay of the same log
// publishes nothing: its events are already there under the same ids.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { SparkwireConfig } from '@sparkwire/sdk';
import { SparkEvent } from '@sparkwire/proto';

export const REPLAY_ID_PREFIX = 'evlog:';
const JSON_EVENT_ID = /"eventId":"((?:[^"\\]|\\.)*)"/;

export interface ReadBack {
  ids: Set<string>;
  records: number;
  ms: number;
}

/** Event ids (replayed ones only) in the configured topic(s);. */
export async function readReplayedIds(config: SparkwireConfig, timeoutMs = 120_000): Promise<ReadBack> {
  const k = config.kafka!;
  const started = Date.now();
  const kc: KafkaConfig = {
    clientId: `${k.clientId}-replay-read-back`,
    brokers: k.brokers,
    connectionTimeout: k.connectTimeoutMs,
    requestTimeout: k.requestTimeoutMs,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.NOTHING,
  };
  if (k.tls) {
    kc.ssl = {
      rejectUnauthorized: k.tlsRejectUnauthorized,
      ca: k.tlsCaFile ? [readFileSync(k.tlsCaFile, 'utf8')] : undefined,
      cert: k.tlsCertFile ? readFileSync(k.tlsCertFile, 'utf8') : undefined,
      key: k.tlsKeyFile ? readFileSync(k.tlsKeyFile, 'utf8') : undefined,
    };
  }
  if (k.saslMechanism) kc.sasl = { mechanism: k.saslMechanism, username: k.saslUsername!, password: k.saslPassword! } as KafkaConfig['sasl'];
  const kafka = new Kafka(kc);
  const admin = kafka.admin();
  const ids = new Set<string>();
  let records = 0;
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [k.topic, ...(k.tasksTopic ? [k.tasksTopic] : [])].filter((t) => existing.has(t));
    const ranges = new Map<string, { from: number; to: number }>();
    const groupId = `sparkwire-replay-${randomUUID()}`;
    for (const topic of topics) {
      const offs = await admin.fetchTopicOffsets(topic);
      for (const o of offs) if (Number(o.high) > Number(o.low)) ranges.set(`${topic}:${o.partition}`, { from: Number(o.low), to: Number(o.high) });
    }
    if (ranges.size === 0) return { ids, records, ms: Date.now() - started };
    const readTopics = topics.filter((t) => [...ranges.keys()].some((r) => r.startsWith(`${t}:`)));
    const protobuf = k.encoding === 'protobuf';
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, retry: { retries: 3 } });
    let timer: NodeJS.Timeout | undefined;
    await consumer.connect();
    try {
      // A fresh group has no committed offsets: fromBeginning starts every partition at its log start.
      await consumer.subscribe({ topics: readTopics, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`reading back ${readTopics.join(', ')} did not finish within ${timeoutMs} ms (${ranges.size} partitions left)`)), timeoutMs);
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const key = `${batch.topic}:${batch.partition}`;
              const r = ranges.get(key);
              if (!r) return;
              for (const m of batch.messages) {
                const off = Number(m.offset);
                if (off >= r.to) break;
                records++;
                const id = eventIdOf(m.value, protobuf);
                if (id?.startsWith(REPLAY_ID_PREFIX)) ids.add(id);
              }
              if (Number(batch.lastOffset()) >= r.to - 1) {
                ranges.delete(key);
                if (ranges.size === 0) resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return { ids, records, ms: Date.now() - started };
}

function eventIdOf(value: Buffer | null, protobuf: boolean): string | undefined {
  if (!value) return undefined;
  if (protobuf) {
    try {
      return SparkEvent.decode(value).eventId;
    } catch {
      return undefined;
    }
  }
  const m = JSON_EVENT_ID.exec(value.toString('utf8'));
  return m ? JSON.parse(`"${m[1]}"`) : undefined;
}
