// Checks of the offsets requests. Shape first (no Kafka needed), then against the cluster's
// metadata (topic exists, partition in range, offsets within the log). Each failure names
// the request field, e.g. "ranges[2].until_offset".
import { invalid, notFound, outOfRange } from './errors';
import type { LogOffsets } from './kafka-offsets';

// Offsets and batch ids are int64 (bigint), exact up to 2^63 - 1; what Kafka accepts as a
// committed offset is 0 .. 2^63 - 1, so only negative values are refused here.
export interface Range {
  topic: string;
  partition: number;
  /** Inclusive; -1 only from the progress committer: unknown, not fenced. */
  fromOffset: bigint;
  /** Exclusive; becomes the committed offset. */
  untilOffset: bigint;
}

export interface CommitInput {
  group: string;
  queryId: string;
  batchId: bigint;
  ranges: Range[];
  force: boolean;
}

const TOPIC_RE = /^[a-zA-Z0-9._-]{1,249}$/;
export const MAX_QUERY_ID = 256;
export const MAX_GROUP = 255;

export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function checkGroup(group: unknown, field = 'group'): string {
  if (typeof group !== 'string' || group.length === 0) throw invalid(field, 'must be a non-empty consumer group id');
  if (group !== group.trim() || /[\u0000-\u001f]/.test(group)) throw invalid(field, `must not have surrounding whitespace or control characters, got ${JSON.stringify(group)}`);
  if (group.length > MAX_GROUP) throw invalid(field, `must be at most ${MAX_GROUP} characters`);
  return group;
}

export function checkTopic(topic: unknown, field: string): string {
  if (typeof topic !== 'string' || !TOPIC_RE.test(topic)) {
    throw invalid(field, `must be a Kafka topic name (1-249 of [a-zA-Z0-9._-]), got ${JSON.stringify(topic)}`);
  }
  return topic;
}

export function checkTopics(topics: string[], field = 'topics', required = true): string[] {
  if (required && topics.length === 0) throw invalid(field, 'must name at least one topic');
  const seen = new Set<string>();
  topics.forEach((t, i) => {
    checkTopic(t, `${field}[${i}]`);
    if (seen.has(t)) throw invalid(`${field}[${i}]`, `topic ${t} is listed twice`);
    seen.add(t);
  });
  return topics;
}

const isInt = (n: number) => Number.isSafeInteger(n);
const INT64_MAX = 2n ** 63n - 1n;
/** An int64: a bigint within range (what the gRPC decoder gives; embedding callers must pass bigints too). */
const isLong = (n: unknown): n is bigint => typeof n === 'bigint' && n >= -INT64_MAX - 1n && n <= INT64_MAX;

/** The request on its own: ids, non-negative offsets, until >= from, no partition twice. */
export function checkCommitShape(c: CommitInput, allowUnknownFrom = false): void {
  checkGroup(c.group);
  if (typeof c.queryId !== 'string' || c.queryId.length === 0) throw invalid('query_id', 'must be the query (or job) id: it makes re-commits of a batch idempotent');
  if (c.queryId.length > MAX_QUERY_ID) throw invalid('query_id', `must be at most ${MAX_QUERY_ID} characters`);
  if (!isLong(c.batchId) || c.batchId < 0) throw invalid('batch_id', `must be an int64 >= 0, got ${c.batchId}`);
  if (c.ranges.length === 0) throw invalid('ranges', 'must hold at least one offset range');
  const seen = new Set<string>();
  c.ranges.forEach((r, i) => {
    const f = `ranges[${i}]`;
    checkTopic(r.topic, `${f}.topic`);
    if (!isInt(r.partition) || r.partition < 0) throw invalid(`${f}.partition`, `must be >= 0, got ${r.partition}`);
    const unknownFrom = allowUnknownFrom && r.fromOffset === -1n;
    if (!isLong(r.fromOffset) || (r.fromOffset < 0 && !unknownFrom)) throw invalid(`${f}.from_offset`, `must be an int64 >= 0, got ${r.fromOffset}`);
    if (!isLong(r.untilOffset) || r.untilOffset < 0) throw invalid(`${f}.until_offset`, `must be an int64 >= 0, got ${r.untilOffset}`);
    if (!unknownFrom && r.untilOffset < r.fromOffset) {
      throw invalid(`${f}.until_offset`, `${r.untilOffset} is before from_offset ${r.fromOffset} (${r.topic}-${r.partition})`);
    }
    const k = tpKey(r.topic, r.partition);
    if (seen.has(k)) throw invalid(`${f}`, `partition ${k} appears twice in one commit`);
    seen.add(k);
  });
}

/** Against the cluster: every topic exists, every partition exists, until_offset is within the log. */
export function checkRangesAgainstCluster(ranges: Range[], partitionCounts: Map<string, number>, logOffsets: Map<string, LogOffsets[]>): void {
  ranges.forEach((r, i) => {
    const f = `ranges[${i}]`;
    const count = partitionCounts.get(r.topic);
    if (count === undefined) throw notFound(`${f}.topic`, `topic ${r.topic} does not exist`);
    if (r.partition >= count) throw outOfRange(`${f}.partition`, `topic ${r.topic} has partitions 0..${count - 1}, got ${r.partition}`);
    const lo = logOffsets.get(r.topic)?.find((p) => p.partition === r.partition);
    if (lo && r.untilOffset > lo.high) {
      throw outOfRange(`${f}.until_offset`, `${r.untilOffset} is beyond the log-end offset ${lo.high} of ${r.topic}-${r.partition}`);
    }
  });
}

/** Topics must exist (NOT_FOUND naming topics[i]). */
export function checkTopicsExist(topics: string[], partitionCounts: Map<string, number>, field = 'topics'): void {
  topics.forEach((t, i) => {
    if (!partitionCounts.has(t)) throw notFound(`${field}[${i}]`, `topic ${t} does not exist`);
  });
}
