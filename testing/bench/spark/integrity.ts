/**
 * Integrity of each run of the Spark listener overhead benchmark, read back from the broker.
 *
 * One kafkajs consumer reads the sidecar's topic and the sparkMeasure topic from the
 * beginning for the whole benchmark, but is paused while a Spark job runs (so reading does
 * not compete with the measured run for the CPU) and resumed after each run until that run's
 * records are in (or a timeout). Records are tallied per application id and deduplicated by
 * (partition, offset), so a consumer-group rebalance that re-delivers records does not look
 * like a duplicate in the topic.
 *
 *  - sparkwire (json encoding, key = appId): every event the listener reports acknowledged
 *    must be in the topic (distinct eventIds == acked), no (eventId, name) record twice; task
 *    records (tasks_ended) == the tasks of both jobs in extended mode, none at stage level.
 *  - sparkMeasure (pretty-printed JSON, no key): records > 0, and KafkaSinkExtended's task
 *    records (tasks_started, tasks_ended, task_metrics) each == the tasks of both jobs, with
 *    one stage holding exactly the measured job's tasks.
 */
import kafkajs, { type Consumer } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export interface AppTally {
  records: number;
  names: Record<string, number>;
  eventIds: Set<string>;
  pairs: Set<string>;
  duplicates: number;
  unreadable: number;
  /** tasks_ended per stageId (sparkMeasure's and sparkwire's task records). */
  tasksEndedByStage: Map<string, number>;
}

export interface IntegrityCheck {
  ok: boolean;
  summary: string;
  records: number;
  names: Record<string, number>;
}

const ENC = new TextDecoder();
const NAME = Buffer.from('"name":"');
const EVENT_ID = Buffer.from('"eventId":"');
const APP_ID = Buffer.from('"appId":"');
const STAGE_ID = Buffer.from('"stageId":');

function jsonString(value: Buffer, field: Buffer): string | undefined {
  const at = value.indexOf(field);
  if (at < 0) return undefined;
  const start = at + field.length;
  const end = value.indexOf(0x22, start);
  return end < 0 ? undefined : ENC.decode(value.subarray(start, end));
}

function jsonNumber(value: Buffer, field: Buffer): string | undefined {
  const at = value.indexOf(field);
  if (at < 0) return undefined;
  const m = /^\s*"?(-?\d+)/.exec(ENC.decode(value.subarray(at + field.length, at + field.length + 24)));
  return m?.[1];
}

export class RunChecker {
  private consumer: Consumer;
  private apps = new Map<string, Map<string, AppTally>>(); // topic -> appId -> tally
  private seen = new Map<string, number>(); // topic/partition -> highest offset tallied
  private lastRecordAt = 0;

  constructor(
    bootstrap: string,
    private sparkwireTopic: string,
    private sparkMeasureTopic?: string,
  ) {
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'sparkwire-bench-spark-checker', logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: `bench-spark-checker-${Date.now()}`, sessionTimeout: 600_000, rebalanceTimeout: 600_000, heartbeatInterval: 3000, maxBytes: 50 * 2 ** 20 });
    this.kafka = kafka;
  }

  private kafka: InstanceType<typeof Kafka>;

  private topics(): string[] {
    return [this.sparkwireTopic, ...(this.sparkMeasureTopic ? [this.sparkMeasureTopic] : [])];
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: this.topics().map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics(), fromBeginning: true });
    // consumer.run() returns before the group is joined, and a consumer that crashed (on a
    // fresh broker the first join can fail while __consumer_offsets is created) is rebuilt by
    // kafkajs with nothing paused: pause()/resume() throw in between ("Consumer group was not
    // initialized"). So the wanted state is kept here and applied on every join.
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the checker consumer did not join its group within 120 s')), 120_000);
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        this.groupReady = true;
        this.applyPaused();
        resolve();
      });
    });
    this.consumer.on(this.consumer.events.CRASH, () => {
      this.groupReady = false;
    });
    await this.consumer.run({
      autoCommit: true,
      eachBatch: async ({ batch }) => {
        const k = `${batch.topic}/${batch.partition}`;
        let seen = this.seen.get(k) ?? -1;
        for (const m of batch.messages) {
          const off = Number(m.offset);
          if (off <= seen) continue;
          seen = off;
          this.tally(batch.topic, m.key ? m.key.toString() : undefined, m.value ?? Buffer.alloc(0));
        }
        this.seen.set(k, seen);
        if (batch.messages.length) this.lastRecordAt = Date.now();
      },
    });
    await joined;
  }

  private groupReady = false;
  /** Paused while a Spark job runs, from the start. */
  private wantPaused = true;

  private setPaused(paused: boolean): void {
    this.wantPaused = paused;
    this.applyPaused();
  }

  private applyPaused(): void {
    if (!this.groupReady) return; // applied on the next join
    const tps = this.topics().map((topic) => ({ topic }));
    try {
      if (this.wantPaused) this.consumer.pause(tps);
      else this.consumer.resume(tps);
    } catch {
      // A crash is being handled (its CRASH event comes after kafkajs dropped the group): the next join applies it.
      this.groupReady = false;
    }
  }

  private tally(topic: string, key: string | undefined, value: Buffer): void {
    let byApp = this.apps.get(topic);
    if (!byApp) this.apps.set(topic, (byApp = new Map()));
    let name: string | undefined;
    let appId: string;
    let stageId: string | undefined;
    if (topic === this.sparkwireTopic) {
      name = jsonString(value, NAME);
      appId = key ?? jsonString(value, APP_ID) ?? '(none)';
      if (name === 'tasks_ended') stageId = jsonNumber(value, STAGE_ID);
    } else {
      // sparkMeasure pretty-prints its records ("name" : "..."): parse them.
      let rec: any;
      try {
        rec = JSON.parse(ENC.decode(value));
      } catch {
        rec = {};
      }
      name = typeof rec.name === 'string' ? rec.name : undefined;
      appId = typeof rec.appId === 'string' ? rec.appId : '(none)';
      stageId = rec.stageId === undefined ? undefined : String(rec.stageId);
    }
    let t = byApp.get(appId);
    if (!t) byApp.set(appId, (t = { records: 0, names: {}, eventIds: new Set(), pairs: new Set(), duplicates: 0, unreadable: 0, tasksEndedByStage: new Map() }));
    t.records++;
    if (name === undefined) {
      t.unreadable++;
      return;
    }
    t.names[name] = (t.names[name] ?? 0) + 1;
    if (name === 'tasks_ended') {
      const stage = stageId ?? '?';
      t.tasksEndedByStage.set(stage, (t.tasksEndedByStage.get(stage) ?? 0) + 1);
    }
    if (topic === this.sparkwireTopic) {
      const eventId = jsonString(value, EVENT_ID);
      if (eventId === undefined) {
        t.unreadable++;
        return;
      }
      t.eventIds.add(eventId);
      const pair = `${eventId}\u0000${name}`;
      if (t.pairs.has(pair)) t.duplicates++;
      else t.pairs.add(pair);
    }
  }

  /**
   * Resumes reading until done() holds and no record came for quietMs, or until timeoutMs, or
   * until nothing at all came for stallMs (the run's process has exited by now: sparkMeasure
   * flushed at application end, and the sidecar drains its spool continuously).
   */
  private async collect(done: () => boolean, timeoutMs: number, quietMs = 2000, stallMs = 20_000): Promise<boolean> {
    this.setPaused(false);
    const start = Date.now();
    this.lastRecordAt = Math.max(this.lastRecordAt, start);
    try {
      while (Date.now() - start < timeoutMs) {
        if (done() && Date.now() - this.lastRecordAt > quietMs) return true;
        if (Date.now() - this.lastRecordAt > stallMs) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      return done();
    } finally {
      this.setPaused(true);
    }
  }

  private get(topic: string, appId: string): AppTally | undefined {
    return this.apps.get(topic)?.get(appId);
  }

  /** Frees a checked application's id sets. */
  private release(t: AppTally | undefined): void {
    t?.eventIds.clear();
    t?.pairs.clear();
  }

  /** A sparkwire run: the topic must hold every acked event once; task records as the mode says. */
  async checkSparkwire(appId: string, acked: number | undefined, expectedTasks: number, extended: boolean, timeoutMs = 180_000): Promise<IntegrityCheck> {
    const arrived = await this.collect(() => (this.get(this.sparkwireTopic, appId)?.eventIds.size ?? 0) >= (acked ?? 1), timeoutMs);
    const t = this.get(this.sparkwireTopic, appId);
    const names = t?.names ?? {};
    const records = t?.records ?? 0;
    const problems: string[] = [];
    if (acked === undefined) problems.push("no end-of-application delivery line from the listener");
    if (!t) problems.push(`no records for ${appId} in ${this.sparkwireTopic}`);
    else {
      if (acked !== undefined && t.eventIds.size !== acked) problems.push(`${t.eventIds.size} distinct events in Kafka, listener acked ${acked}${arrived ? '' : ' (timed out waiting)'}`);
      if (t.duplicates) problems.push(`${t.duplicates} records twice`);
      if (t.unreadable) problems.push(`${t.unreadable} records without name/eventId`);
      const taskEnds = names.tasks_ended ?? 0;
      if (extended && taskEnds !== expectedTasks) problems.push(`${taskEnds} tasks_ended records, the jobs ran ${expectedTasks} tasks`);
      if (!extended && (taskEnds || names.tasks_started || names.task_metrics)) problems.push(`task records at stage level (${taskEnds} tasks_ended)`);
    }
    this.release(t);
    return { ok: !problems.length, summary: problems.length ? problems.join('; ') : `exact: ${t!.eventIds.size || acked} events acked = in Kafka once (${records} records${extended ? `, ${names.tasks_ended} tasks_ended` : ', no task records'})`, records, names };
  }

  /** A sparkMeasure run: records in its topic; KafkaSinkExtended's task records == the jobs' tasks. */
  async checkSparkMeasure(appId: string, warmupTasks: number, tasks: number, timeoutMs = 180_000): Promise<IntegrityCheck> {
    const expected = warmupTasks + tasks;
    const topic = this.sparkMeasureTopic!;
    const arrived = await this.collect(() => {
      const t = this.get(topic, appId);
      return !!t && (t.names.task_metrics ?? 0) >= expected && (t.names.tasks_ended ?? 0) >= expected && (t.names.tasks_started ?? 0) >= expected;
    }, timeoutMs);
    const t = this.get(topic, appId);
    const names = t?.names ?? {};
    const records = t?.records ?? 0;
    const problems: string[] = [];
    if (!records) problems.push(`no records for ${appId} in ${topic}`);
    for (const n of ['tasks_started', 'tasks_ended', 'task_metrics']) if ((names[n] ?? 0) !== expected) problems.push(`${names[n] ?? 0} ${n} records, the jobs ran ${expected} tasks${arrived ? '' : ' (timed out waiting)'}`);
    if (t && ![...t.tasksEndedByStage.values()].includes(tasks)) problems.push(`no stage with exactly ${tasks} tasks_ended records (${JSON.stringify(Object.fromEntries(t.tasksEndedByStage))})`);
    if (t?.unreadable) problems.push(`${t.unreadable} records without a name`);
    this.release(t);
    return { ok: !problems.length, summary: problems.length ? problems.join('; ') : `ok: ${records} records, ${names.tasks_ended} tasks_ended / task_metrics = the jobs' ${expected} tasks (measured stage ${tasks})`, records, names };
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}
