// What a replay already published: the event ids of replayed events ("evlog:..." ids, see
// @sparkwire/event-log replayEventId) that the target topics hold now. Read with a throwaway
// consumer group (a fresh group reading from the log start, no commits, deleted afterwards),
// up to each partition's high watermark at the start, so a second replay of the same log
// publishes nothing: its events are already there under the same ids.
import { createKafkaClient, kafkaConnectionSettings, type OffsetRange } from '@sparkwire/kafka-client';
import type { SparkwireConfig } from '@sparkwire/sdk';
import { SparkEvent } from '@sparkwire/proto';

export const REPLAY_ID_PREFIX = 'evlog:';
const JSON_EVENT_ID = /"eventId":"((?:[^"\\]|\\.)*)"/;

export interface ReadBack {
  ids: Set<string>;
  records: number;
  ms: number;
}

const QUIET = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Event ids (replayed ones only) in the configured topic(s). */
export async function readReplayedIds(config: SparkwireConfig, timeoutMs = 120_000): Promise<ReadBack> {
  const k = config.kafka!;
  const started = Date.now();
  const conn = kafkaConnectionSettings(k);
  const admin = createKafkaClient({ ...conn, clientId: `${k.clientId}-replay-read-back` }, QUIET, { retryInitialMs: 200, retryMaxMs: 2000, minLevel: 'error' }).admin();
  const ids = new Set<string>();
  let records = 0;
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ranges: OffsetRange[] = [];
    for (const topic of [k.topic, ...(k.tasksTopic ? [k.tasksTopic] : [])].filter((t) => existing.has(t))) {
      for (const o of await admin.topicOffsets(topic)) ranges.push({ topic, partition: o.partition, from: Number(o.low), to: Number(o.high) });
    }
    const protobuf = k.encoding === 'protobuf';
    await admin.readRanges(
      ranges,
      (_topic, _key, value) => {
        records++;
        const id = eventIdOf(value, protobuf);
        if (id?.startsWith(REPLAY_ID_PREFIX)) ids.add(id);
      },
      { timeoutMs },
    );
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
