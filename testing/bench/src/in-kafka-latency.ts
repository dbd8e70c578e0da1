// Event -> in Kafka latency of the paced phase: from the moment a batch was due to be sent
// to the moment the broker appended the last record of each of its events.
//
// An ack says "durable in the spool", so publish->ack alone hides a drainer that lags; this
// measures the other end. The bench's topic uses message.timestamp.type=LogAppendTime, so
// every record read back carries the broker's own append time (the batch's, in ms), on the
// same clock as the load generator (one machine). Each record's event id (events.ts) names
// its client and counter, and the paced phase keeps, per client, the counter runs it sent and
// when each was due: the latency of an event is the latest append of its records minus that.
// kafkajs is CommonJS: its enums come through the default export under ESM (tsx).
import kafkajs, { type Admin } from 'kafkajs';
import { parseBenchEventId, type Encoding } from './events';
import { recordIdentity } from './integrity';
import { summarize, type LatencySummary } from './load';

/** One batch of the measured window: counters [first, first + count) of a client, due at atMs (epoch ms). */
export interface PacedSend {
  appId: string;
  first: number;
  count: number;
  atMs: number;
}

export interface InKafkaLatency {
  /** Per event, due-to-send -> its last record appended by the broker (ms resolution). */
  latencyMs: LatencySummary;
  /** Events of the measured window. */
  events: number;
  /** Events of the window with no record read back (must be 0 once the spool drained). */
  missing: number;
  /** Records whose timestamp is not the broker's append time (the topic is not LogAppendTime). */
  notAppendTime: number;
}

const TIMESTAMP_TYPE = 'message.timestamp.type';

/**
 * Makes `topic` stamp records with the broker's append time: creates it (partitions, RF 1)
 * when it does not exist, or sets the config on one that does (a --bootstrap broker with older
 * runs). The sidecar then finds the topic there and uses it as it is.
 */
export async function useLogAppendTime(admin: Admin, topic: string, partitions: number): Promise<void> {
  const existing = await admin.listTopics();
  if (!existing.includes(topic)) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: [{ name: TIMESTAMP_TYPE, value: 'LogAppendTime' }] }],
    });
    await untilPartitionsAnswer(admin, topic);
    return;
  }
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: TIMESTAMP_TYPE, value: 'LogAppendTime' }] }] });
}

/**
 * Waits until every partition of a just-created topic answers ListOffsets. waitForLeaders sees
 * the leaders in the metadata, but the broker itself may not yet act as their leader: the
 * first ListOffsets then fails with NOT_LEADER_OR_FOLLOWER (seen in the smoke test, about 1 run
 * in 5), which kafkajs's admin does not retry.
 */
export async function untilPartitionsAnswer(admin: Pick<Admin, 'fetchTopicOffsets'>, topic: string, timeoutMs = 30_000, pauseMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await admin.fetchTopicOffsets(topic);
      return;
    } catch (err) {
      const retriable = (err as { retriable?: boolean }).retriable === true;
      if (!retriable || Date.now() >= deadline) throw new Error(`topic ${topic}: its partitions do not answer ListOffsets${retriable ? ` after ${timeoutMs} ms` : ''}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/** Feed it the records of the paced phase's offset range (add), then ask for the summary. */
export class InKafkaLatencyMeter {
  /** Per client: its sends in counter order, and per event of each the latest append seen (0: none). */
  private readonly byApp = new Map<string, { sends: PacedSend[]; appended: Float64Array[] }>();
  private notAppendTime = 0;

  constructor(
    sends: PacedSend[],
    private readonly encoding: Encoding,
  ) {
    for (const s of sends) {
      let a = this.byApp.get(s.appId);
      if (!a) this.byApp.set(s.appId, (a = { sends: [], appended: [] }));
      a.sends.push(s);
    }
    for (const a of this.byApp.values()) {
      a.sends.sort((x, y) => x.first - y.first);
      a.appended = a.sends.map((s) => new Float64Array(s.count));
    }
  }

  /**
   * One record read back; `appendTimeMs` is the record's timestamp and `logAppendTime` whether
   * the broker stamped it (the batch's timestamp type). Records of events outside the window
   * (the warm-up, the throughput phase) are ignored.
   */
  add(value: Buffer | null, appendTimeMs: number, logAppendTime: boolean): void {
    const id = value ? recordIdentity(value, this.encoding) : undefined;
    const parsed = id && parseBenchEventId(id.eventId);
    const a = parsed && this.byApp.get(parsed.appId);
    if (!a) return;
    const i = findSend(a.sends, parsed.n);
    if (i < 0) return;
    if (!logAppendTime) this.notAppendTime++;
    const slot = a.appended[i];
    const k = parsed.n - a.sends[i].first;
    if (appendTimeMs > slot[k]) slot[k] = appendTimeMs;
  }

  result(): InKafkaLatency {
    const latencies: number[] = [];
    let events = 0;
    let missing = 0;
    for (const a of this.byApp.values()) {
      a.sends.forEach((s, i) => {
        for (const t of a.appended[i]) {
          events++;
          if (t === 0) missing++;
          // Append times are whole ms: a record appended in the ms it was due reads 0, not < 0.
          else latencies.push(Math.max(0, t - s.atMs));
        }
      });
    }
    return { latencyMs: summarize(latencies), events, missing, notAppendTime: this.notAppendTime };
  }
}

/** The index of the send holding counter n, or -1 (sends sorted by first, not overlapping). */
function findSend(sends: PacedSend[], n: number): number {
  let lo = 0;
  let hi = sends.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sends[mid];
    if (n < s.first) hi = mid - 1;
    else if (n >= s.first + s.count) lo = mid + 1;
    else return mid;
  }
  return -1;
}
