// One benchmark run: a real broker, the sidecar as its own process, N clients, then
// Kafka's ProducerPerformance on the same broker at the same record size, and (when a
// target is missed) a CPU profile of the sidecar under the same load.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Admin } from 'kafkajs';
import { runProducerPerformance, startBroker, type Broker, type ProducerPerformanceResult } from '@sparkwire/kafka-broker';
import { summarizeProfile, type ProfileSummary } from './cpu-profile';
import { KafkaProgress, type DrainResult, type ProgressSample } from './drain';
import { IntegrityChecker, kafkaClient, ledgerOf, readTopicRange, recordsSince, topicOffsets, type IntegrityResult, type Offsets } from './integrity';
import { buildTemplatePool, selfCheck, type Encoding, type TemplatePool } from './events';
import { dirtyBytes, flushPageCache, type PageCacheFlush } from './page-cache';
import { InKafkaLatencyMeter, useLogAppendTime, type InKafkaLatency, type PacedSend } from './in-kafka-latency';
import { BenchClient, latencyPhase, throughputPhase, type LatencyResult, type ThroughputResult } from './load';
import { processCpuMs, spawnSidecar, type SidecarProcess } from '@sparkwire/testkit';
import { cpuBetween, ProcessSampler, REPO_ROOT, type CpuSnapshot, type CpuUsage } from './sidecar-process';

export interface BenchOptions {
  clients: number;
  batchSize: number;
  /** Unacked batches per client in the throughput phase. */
  window: number;
  /** Events per client in the throughput phase; 0 = run for warmupS + durationS. */
  eventsPerClient: number;
  warmupS: number;
  durationS: number;
  /** Paced events/s of the latency phase; 0 = no paced phase (unthrottled only). */
  rate: number;
  latencyBatchSize: number;
  latencyWarmupS: number;
  latencyDurationS: number;
  encoding: Encoding;
  /** kafka.compression of the sidecar and compression.type of ProducerPerformance (zstd: Node 22.15+). */
  compression: 'none' | 'gzip' | 'lz4' | 'zstd';
  partitions: number;
  /** Tasks per stage of each client's synthetic application (the template pool). */
  tasksPerStage: number;
  /** ProducerPerformance records per run; 0 = skip. */
  ppRecords: number;
  /** The tuned ProducerPerformance run (the reference for the ratio). */
  ppBatchSize: number;
  ppLingerMs: number;
  /** Also run ProducerPerformance with the producer's default batch.size/linger.ms. */
  ppDefaultRun: boolean;
  /** CPU-profile the sidecar: when a target is missed (auto), always, or never. */
  profile: 'auto' | 'always' | 'never';
  profileDurationS: number;
  profileDir: string;
  /**
   * kafka.maxBatchRecords for the sidecar: 'default' = leave the sidecar's own default;
   * 'auto' = the most records of this size that fit the broker's default message.max.bytes
   * (1 MiB) even when all go to one partition (for sidecars older than kafka.maxRequestBytes,
   * which fail with MESSAGE_TOO_LARGE otherwise); or a number.
   */
  sidecarMaxBatchRecords: 'auto' | 'default' | number;
  /** Unacked batches per client in the latency phase before a batch is skipped (the Java client's maxUnackedBatches default). */
  latencyMaxUnacked: number;
  /** Extra arguments for `sparkwire serve`. */
  sidecarArgs: string[];
  /** Extra node/V8 flags for the sidecar process, e.g. --max-semi-space-size=32. */
  sidecarNodeFlags: string[];
  /** Script to start instead of apps/sidecar/bin/sparkwire.js (e.g. a bundled build). */
  sidecarBin?: string;
  /** Rebuild the sidecar bundle (apps/sidecar/build.mjs) first, so the run measures the current source. */
  build: boolean;
  /** Use this broker instead of starting one (host:port). */
  bootstrap?: string;
  /** How long to wait for the sidecar's spool to drain into Kafka after the clients stop (each wait). */
  drainTimeoutS: number;
  /** Give up waiting earlier when neither the spool nor the topic moved for this long. */
  drainStallS: number;
  /** sync(1) before the latency phase, so it does not run during the writeback of the previous phase's dirty pages. */
  syncBeforeLatency: boolean;
  /** Read the topic back and check every record by event id (false: count only). */
  verifyIds: boolean;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<BenchOptions, 'log'> = {
  clients: 4,
  batchSize: 500,
  window: 8,
  eventsPerClient: 0,
  warmupS: 3,
  durationS: 20,
  rate: 20_000,
  latencyBatchSize: 500,
  latencyWarmupS: 2,
  latencyDurationS: 15,
  encoding: 'json',
  compression: 'none',
  partitions: 6,
  tasksPerStage: 200,
  ppRecords: 2_000_000,
  ppBatchSize: 1_048_576,
  ppLingerMs: 10,
  ppDefaultRun: true,
  profile: 'auto',
  profileDurationS: 10,
  profileDir: path.join(os.tmpdir(), 'sparkwire-bench-profile'),
  sidecarMaxBatchRecords: 'default',
  latencyMaxUnacked: 64,
  sidecarArgs: [],
  sidecarNodeFlags: [],
  build: true,
  drainTimeoutS: 300,
  drainStallS: 60,
  syncBeforeLatency: true,
  verifyIds: true,
};

export const TARGETS = {
  eventsPerSec: 150_000,
  ratioToProducerPerformance: 0.6,
  p99Ms: 50,
  p99AtRate: 20_000,
  p99InKafkaMs: 250,
  rssBytes: 200 * 1024 * 1024,
  idleRssBytes: 80 * 1024 * 1024,
  /** Sidecar CPU per task event, end to end, without compression (compression is not counted in them). */
  cpuUsPerEvent: { json: 6, protobuf: 4 } as Record<'json' | 'protobuf', number>,
};

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  /** How far off, in words, when missed. */
  gap?: string;
}

export interface ProducerPerfRun extends Omit<ProducerPerformanceResult, 'raw'> {
  label: string;
  config: string;
  numRecords: number;
  recordSize: number;
  /**
   * CPU-seconds (user + system, all threads) of the tool's JVM, start-up and JIT included: from
   * /proc every 50 ms while it runs (the last sample before it exits). Undefined without /proc.
   */
  cpuS?: number;
}

export interface BenchResult {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; kernel: string; loadAvgBefore: number[] };
  options: Omit<BenchOptions, 'log'>;
  load: {
    appIds: string[];
    templateEvents: number;
    taskEndShare: number;
    recordsPerEvent: number;
    avgRecordBytes: number;
    avgEventProtoBytes: number;
    batchProtoBytes: number;
  };
  sidecar: { pid: number; startMs: number; idleRssBytes: number; peakRssBytes: number; hwmBytes: number; rssTimeline: Array<{ t: number; rss: number }>; exitCode: number | null };
  throughput: ThroughputResult & { cpu?: CpuUsage; peakRssBytes: number; mbPerSec: number };
  latency?: Omit<LatencyResult, 'sends'> & {
    cpu?: CpuUsage;
    peakRssBytes: number;
    pageCache?: PageCacheFlush & { synced: boolean };
    /** Event -> in Kafka over the measured window (read back once the spool drained). */
    inKafka?: InKafkaLatency;
  };
  topic: { name: string; recordsExpected: number; recordsInTopic: number };
  /**
   * Events present in Kafka per second: from the first send of the throughput phase to the
   * moment the topic holds every record of its acked events (the spool drained). An ack
   * only means "durable in the spool", so throughput.eventsPerSec alone is not this figure.
   */
  endToEnd: {
    eventsPerSec: number;
    recordsPerSec: number;
    /** First send -> spool drained (s). */
    spanS: number;
    /** Last ack of the phase -> spool drained (s): how far Kafka lagged behind the acks. */
    drainAfterAcksS: number;
    /** Records in the topic, and spooled batches pending, at the last ack: what a count taken then (the bench before the drain wait) read. */
    recordsAtLastAck: number;
    pendingAtLastAck?: number;
    /** Records the acked events of the phase make. */
    recordsAcked: number;
    drained: boolean;
    how: string;
    /** Sidecar CPU (user + system, all threads) from the first send until the spool drained, per event acked in the phase (us). */
    sidecarCpuUsPerEvent: number;
    /** Largest spool depth seen (sparkwire_spool_pending_entries / _bytes), over the whole run. */
    spoolMaxPendingEntries?: number;
    spoolMaxBytes?: number;
    timeline: ProgressSample[];
  };
  /** The run's verdict on delivery: after the spool drained, the topic holds exactly the acked records. */
  integrity: {
    ok: boolean;
    drained: boolean;
    how: string;
    /** Count check (high watermarks since the run started vs records of the acked events). */
    countOk: boolean;
    /** Read back by event id (undefined when verifyIds is off or the spool did not drain). */
    ids?: IntegrityResult;
    /** Records that reached the topic after the spool said it was drained (must be 0). */
    lateRecords: number;
    checkS: number;
    summary: string;
  };
  /** The temporary spool directory (removed at the end) and what was left in it when the sidecar stopped. */
  spool: { dir: string; bytesLeftAtStop: number };
  producerPerformance: ProducerPerfRun[];
  ratio?: { records: number; mb: number; reference: string; vsDefault?: number };
  targets: TargetCheck[];
  profile?: { file: string; summary: ProfileSummary; eventsPerSec: number; note: string };
  wallS: number;
  /** The command line that produced it (set by run.ts). */
  command?: string;
}

const TOPIC = 'bench-events';

export async function runBench(input: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const o: BenchOptions = { ...DEFAULTS, log: (l) => process.stderr.write(`${l}\n`), ...input };
  const started = performance.now();
  const log = o.log;
  const loadAvgBefore = os.loadavg();

  const pools: TemplatePool[] = Array.from({ length: o.clients }, (_, i) => buildTemplatePool(i, o.encoding, { tasksPerStage: o.tasksPerStage }));
  selfCheck(pools[0]);
  const pool = pools[0];
  log(
    `load: ${o.clients} clients x batches of ${o.batchSize}; ${pool.templates.length} task events per app (${(pool.taskEndShare * 100).toFixed(0)}% taskEnd); ` +
      `${o.encoding}: ${pool.recordsPerEvent.toFixed(2)} records/event, ${pool.avgRecordBytes.toFixed(0)} B/record`,
  );

  let broker: Broker | undefined;
  let sidecar: SidecarProcess | undefined;
  let sampler: ProcessSampler | undefined;
  let progress: KafkaProgress | undefined;
  let admin: Admin | undefined;
  const clients: BenchClient[] = [];
  const spoolRoot = mkdtempSync(path.join(os.tmpdir(), 'sparkwire-bench-spool-'));
  try {
    let bootstrap = o.bootstrap;
    let brokerPid = -1;
    if (!bootstrap) {
      const t = performance.now();
      broker = await startBroker();
      bootstrap = broker.bootstrap;
      brokerPid = broker.pid;
      log(`broker: ${bootstrap} (pid ${brokerPid}) ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }

    const maxBatchRecords =
      o.sidecarMaxBatchRecords === 'auto'
        ? safeMaxBatchRecords(pool.avgRecordBytes, pool.appId.length)
        : o.sidecarMaxBatchRecords === 'default'
          ? undefined
          : o.sidecarMaxBatchRecords;
    const userSpoolDir = o.sidecarArgs.some((a) => a.startsWith('--spool-dir'));
    const sidecarArgs = [
      '--extended',
      // A temporary spool per run, removed at the end (the default is relative to the cwd).
      ...(userSpoolDir ? [] : ['--spool-dir', path.join(spoolRoot, 'main')]),
      // The closed loop acks faster than Kafka takes the records, so the spool grows for the
      // whole window: at 62,000 events/s acked it passed the default 1 GiB cap in 20 s and the
      // sidecar refused batches with UNAVAILABLE, as it should, which failed the run. The cap is
      // a limit, not an allocation: 8 GiB covers the window with room to spare.
      ...(o.sidecarArgs.some((a) => a.startsWith('--spool-max-bytes')) ? [] : ['--spool-max-bytes', String(8 * 1024 ** 3)]),
      '--kafka-brokers', bootstrap,
      '--kafka-topic', TOPIC,
      '--kafka-encoding', o.encoding,
      '--kafka-compression', o.compression,
      '--kafka-partitions', String(o.partitions),
      ...(maxBatchRecords !== undefined ? ['--kafka-max-batch-records', String(maxBatchRecords)] : []),
      ...o.sidecarArgs,
    ];
    admin = kafkaClient(bootstrap).admin();
    await admin.connect();
    // The broker stamps each record with its append time: event -> in Kafka (in-kafka-latency.ts).
    await useLogAppendTime(admin, TOPIC, o.partitions);
    // What the topic held before (a --bootstrap broker may have older runs in it).
    const baseline = await topicOffsets(admin, TOPIC);
    if (o.build && !o.sidecarBin) buildSidecar(log);
    log(`sidecar: node ${[...o.sidecarNodeFlags, o.sidecarBin ?? 'apps/sidecar/bin/sparkwire.js', 'serve --server-port 0', ...sidecarArgs].join(' ')}`);
    const t = performance.now();
    sidecar = await spawnSidecar({ args: sidecarArgs, nodeFlags: o.sidecarNodeFlags, bin: o.sidecarBin, cwd: REPO_ROOT, maxLogLines: 2000 });
    await sidecar.waitServing('sparkwire.kafka');
    const startMs = performance.now() - t;
    sampler = new ProcessSampler(sidecar.pid, brokerPid).start();
    const idleRss = sampler.peakRss;
    log(`sidecar: ${sidecar.address} (pid ${sidecar.pid}) serving in ${(startMs / 1000).toFixed(1)} s, idle RSS ${mb(idleRss)}`);
    progress = new KafkaProgress(sidecar, admin, TOPIC, baseline).start(1000);
    const drainOpts = (expectedRecords: number) => ({ timeoutMs: o.drainTimeoutS * 1000, stallMs: o.drainStallS * 1000, expectedRecords });

    for (let i = 0; i < o.clients; i++) {
      const c = new BenchClient(sidecar.address, `bench-client-${i + 1}`, pools[i]);
      c.open();
      clients.push(c);
    }

    // -- Phase 1: throughput (closed loop) ------------------------------------------------
    log(
      o.eventsPerClient > 0
        ? `throughput: ${o.clients} x ${o.eventsPerClient} events, window ${o.window} batches/client`
        : `throughput: ${o.warmupS} s warm-up + ${o.durationS} s measured, window ${o.window} batches/client`,
    );
    sampler.resetPhase();
    const snaps: CpuSnapshot[] = [];
    let snapTimers: NodeJS.Timeout[] = [];
    if (o.eventsPerClient === 0) {
      snapTimers = [
        setTimeout(() => snaps.push(sampler!.snapshot()), o.warmupS * 1000),
        setTimeout(() => snaps.push(sampler!.snapshot()), (o.warmupS + o.durationS) * 1000),
      ];
    } else {
      snaps.push(sampler.snapshot());
    }
    // Sidecar CPU from the first send until the spool has drained, over every event acked in the
    // phase: CPU per event end to end (gRPC in -> in Kafka), whatever the drainer's lag.
    const e2eCpuStart = sampler.snapshot();
    const eventsAckedBefore = clients.reduce((s, c) => s + c.eventsAcked, 0);
    const tp = await throughputPhase(clients, {
      batchSize: o.batchSize,
      window: o.window,
      eventsPerClient: o.eventsPerClient,
      warmupS: o.warmupS,
      durationS: o.durationS,
      onTick: (acked, s) => log(`  ${s.toFixed(0).padStart(3)} s  ${fmtInt(acked)} events acked`),
    });
    snapTimers.forEach(clearTimeout);
    if (o.eventsPerClient > 0) snaps.push(sampler.snapshot());
    const tpCpu = snaps.length === 2 ? cpuBetween(snaps[0], snaps[1]) : undefined;
    const throughput = {
      ...tp,
      cpu: tpCpu,
      peakRssBytes: sampler.phasePeak,
      mbPerSec: (tp.recordsPerSec * pool.avgRecordBytes) / (1024 * 1024),
    };
    log(
      `throughput: ${fmtInt(tp.eventsPerSec)} events/s acked (${fmtInt(tp.recordsPerSec)} records/s, ${throughput.mbPerSec.toFixed(1)} MB/s); ` +
        `acked ${fmtInt(tp.eventsAcked)} of ${fmtInt(tp.eventsSent)} sent; peak RSS ${mb(sampler.phasePeak)}` +
        (tpCpu ? `; CPU sidecar ${tpCpu.sidecar.toFixed(2)} broker ${tpCpu.broker.toFixed(2)} load-gen ${tpCpu.loadGenerator.toFixed(2)} other ${tpCpu.other.toFixed(2)} cores` : ''),
    );

    // -- End to end: wait until the topic holds every acked record (the spool drained) ----
    const acksDoneAt = performance.now();
    const tpRecords = clients.reduce((s, c) => s + c.recordsAcked, 0);
    log(`drain: waiting for the spool to drain into Kafka (${fmtInt(tpRecords)} records acked; deadline ${o.drainTimeoutS} s)`);
    const tpDrain: DrainResult = await progress.waitDrained(drainOpts(tpRecords));
    const e2eCpuEnd = sampler.snapshot();
    const phaseEvents = clients.reduce((s, c) => s + c.eventsAcked, 0) - eventsAckedBefore;
    const sidecarCpuUsPerEvent = tpDrain.drained && phaseEvents > 0 ? ((e2eCpuEnd.sidecarMs - e2eCpuStart.sidecarMs) * 1000) / phaseEvents : NaN;
    log(
      `drain: at the last ack the topic held ${fmtInt(tpDrain.first.records)} of the ${fmtInt(tpRecords)} acked records ` +
        `(${tpDrain.first.pending ?? '?'} batches still in the spool): what a count taken then reads`,
    );
    const firstSend = Math.min(...clients.map((c) => c.firstSendAt ?? Infinity));
    const spanS = (tpDrain.at - firstSend) / 1000;
    const endToEnd: BenchResult['endToEnd'] = {
      eventsPerSec: tpDrain.drained ? tp.eventsAcked / spanS : NaN,
      recordsPerSec: tpDrain.drained ? tpRecords / spanS : NaN,
      spanS,
      drainAfterAcksS: (tpDrain.at - acksDoneAt) / 1000,
      recordsAtLastAck: tpDrain.first.records,
      pendingAtLastAck: tpDrain.first.pending,
      recordsAcked: tpRecords,
      drained: tpDrain.drained,
      how: tpDrain.how,
      sidecarCpuUsPerEvent,
      timeline: progress.timeline,
    };
    log(
      tpDrain.drained
        ? `in Kafka: ${fmtInt(endToEnd.eventsPerSec)} events/s end to end (${fmtInt(tp.eventsAcked)} events, first send -> all acked records in the topic ${spanS.toFixed(1)} s, ` +
            `of which ${endToEnd.drainAfterAcksS.toFixed(1)} s draining after the last ack; ${fmtInt(tpDrain.records)} records in the topic; spool max ${fmtInt(progress.maxPending)} entries, ${mb(progress.maxBytes)}); ` +
            `sidecar CPU ${sidecarCpuUsPerEvent.toFixed(1)} us per event (first send -> drained, ${fmtInt(phaseEvents)} events)`
        : `drain: ${tpDrain.how}; ${fmtInt(tpDrain.records)} of ${fmtInt(tpRecords)} records in the topic`,
    );

    // -- Phase 2: latency at a fixed rate (open loop) -------------------------------------
    let latency: BenchResult['latency'];
    let pacedSends: PacedSend[] | undefined;
    if (o.rate > 0 && o.latencyDurationS > 0 && tpDrain.drained) {
      log(`latency: ${fmtInt(o.rate)} events/s paced, batches of ${o.latencyBatchSize}, ${o.latencyWarmupS} s warm-up + ${o.latencyDurationS} s measured`);
      // The previous phase's dirty pages written back first (page-cache.ts).
      const pageCache = o.syncBeforeLatency ? { ...(await flushPageCache()), synced: true } : { dirtyBeforeBytes: dirtyBytes(), syncMs: 0, synced: false };
      if (pageCache.synced) log(`latency: synced ${pageCache.dirtyBeforeBytes === undefined ? '?' : mb(pageCache.dirtyBeforeBytes)} of dirty pages the previous phase left, in ${(pageCache.syncMs / 1000).toFixed(1)} s`);
      sampler.resetPhase();
      const lsnaps: CpuSnapshot[] = [];
      const lt = setTimeout(() => lsnaps.push(sampler!.snapshot()), o.latencyWarmupS * 1000);
      const lat = await latencyPhase(clients, {
        rate: o.rate,
        batchSize: o.latencyBatchSize,
        warmupS: o.latencyWarmupS,
        durationS: o.latencyDurationS,
        maxUnacked: o.latencyMaxUnacked,
      });
      clearTimeout(lt);
      lsnaps.push(sampler.snapshot());
      const { sends, ...latRest } = lat;
      pacedSends = sends;
      latency = { ...latRest, cpu: lsnaps.length === 2 ? cpuBetween(lsnaps[0], lsnaps[1]) : undefined, peakRssBytes: sampler.phasePeak, pageCache };
      const l = lat.latencyMs;
      const lcpu = latency.cpu;
      log(
        `latency: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms over ${l.count} batches; ` +
          `achieved ${fmtInt(lat.achievedRate)} events/s; peak RSS ${mb(sampler.phasePeak)}` +
          (lcpu && lat.achievedRate > 0 ? `; sidecar CPU ${((lcpu.sidecar * 1e6) / lat.achievedRate).toFixed(1)} us per event (${lcpu.sidecar.toFixed(2)} cores)` : ''),
      );
    }

    for (const c of clients) await c.end();
    const recordsExpected = clients.reduce((s, c) => s + c.recordsAcked, 0);

    // -- Integrity: spool drained, then exactly the acked records, by count and by id ----
    const checkStart = performance.now();
    const finalDrain = tpDrain.drained ? await progress.waitDrained(drainOpts(recordsExpected)) : tpDrain;
    await progress.stop();
    endToEnd.spoolMaxPendingEntries = progress.spoolSeen ? progress.maxPending : undefined;
    endToEnd.spoolMaxBytes = progress.spoolSeen ? progress.maxBytes : undefined;
    const recordsInTopic = finalDrain.records;
    const countOk = finalDrain.drained && recordsInTopic === recordsExpected;
    log(`topic ${TOPIC}: ${fmtInt(recordsInTopic)} records (expected ${fmtInt(recordsExpected)}) after the spool drained: ${countOk ? 'count exact' : 'MISMATCH'}`);
    let ids: IntegrityResult | undefined;
    const meter = latency && pacedSends && finalDrain.drained ? new InKafkaLatencyMeter(pacedSends, o.encoding) : undefined;
    if (o.verifyIds && finalDrain.drained) {
      const t = performance.now();
      ids = await verifyTopic(bootstrap, TOPIC, baseline, finalDrain.offsets, clients, pools, o.encoding, meter);
      log(`topic ${TOPIC}: by event id: ${ids.summary} (read back in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
      for (const e of ids.examples) log(`  ${e}`);
    } else if (meter) {
      // Count only: read back just the paced phase's records, for their append times.
      await readTopicRange(bootstrap, TOPIC, tpDrain.offsets, finalDrain.offsets, (v, m) => meter.add(v, m.timestampMs, m.logAppendTime));
    }
    if (latency && meter) {
      const k = (latency.inKafka = meter.result());
      log(
        `latency: event -> in Kafka p50 ${k.latencyMs.p50.toFixed(1)} ms, p99 ${k.latencyMs.p99.toFixed(1)} ms, max ${k.latencyMs.max.toFixed(1)} ms over ${fmtInt(k.events)} events` +
          (k.missing || k.notAppendTime ? ` (${fmtInt(k.missing)} without a record, ${fmtInt(k.notAppendTime)} records not stamped by the broker)` : ''),
      );
    }
    // Nothing may arrive once the spool said it was drained (a late retry would be a duplicate).
    const lateRecords = recordsSince(await topicOffsets(admin, TOPIC), finalDrain.offsets);
    const ackAnomalies = clients.flatMap((c) => c.ackAnomalies);
    const integrityOk = countOk && lateRecords === 0 && ackAnomalies.length === 0 && (ids?.ok ?? !o.verifyIds);
    const integrity: BenchResult['integrity'] = {
      ok: integrityOk,
      drained: finalDrain.drained,
      how: finalDrain.how,
      countOk,
      ids,
      lateRecords,
      checkS: (performance.now() - checkStart) / 1000,
      summary: integrityOk
        ? `exact: ${fmtInt(recordsInTopic)} records = the records of the ${fmtInt(clients.reduce((s, c) => s + c.eventsAcked, 0))} acked events${ids ? ', each (event id, record) once' : ' (count only)'}`
        : [
            finalDrain.drained ? '' : `spool not drained: ${finalDrain.how}`,
            countOk ? '' : `topic holds ${fmtInt(recordsInTopic)} records, the acked events make ${fmtInt(recordsExpected)}`,
            ids && !ids.ok ? `by event id: ${ids.summary}` : '',
            lateRecords ? `${fmtInt(lateRecords)} records arrived after the spool reported drained` : '',
            ackAnomalies.length ? `${ackAnomalies.length} acks did not cover their whole batch` : '',
          ]
            .filter(Boolean)
            .join('; '),
    };
    log(`integrity: ${integrity.ok ? 'OK' : 'FAILED'}: ${integrity.summary}`);

    sampler.stop();
    const hwm = sampler.hwm();
    const exitCode = await sidecar.stop('SIGTERM', { graceMs: 20_000 });
    const sidecarResult = { pid: sidecar.pid, startMs, idleRssBytes: idleRss, peakRssBytes: sampler.peakRss, hwmBytes: hwm, rssTimeline: sampler.timeline, exitCode };
    sidecar = undefined;
    const spoolLeft = dirBytes(spoolRoot);
    log(`spool: ${spoolRoot} held ${fmtInt(spoolLeft)} bytes when the sidecar stopped; removed at the end of the run`);

    // -- ProducerPerformance on the same broker, same record size -------------------------
    const producerPerformance: ProducerPerfRun[] = [];
    const recordSize = Math.round(pool.avgRecordBytes);
    if (o.ppRecords > 0 && integrity.ok) {
      const runs: Array<{ label: string; batchSize?: number; lingerMs?: number }> = [
        { label: 'tuned', batchSize: o.ppBatchSize, lingerMs: o.ppLingerMs },
      ];
      if (o.ppDefaultRun) runs.push({ label: 'defaults' });
      for (const r of runs) {
        const topic = `bench-pp-${r.label}`;
        await createTopic(bootstrap, topic, o.partitions);
        const config = [
          'acks=all',
          `compression.type=${o.compression}`,
          r.batchSize !== undefined ? `batch.size=${r.batchSize}` : 'batch.size=default (16384)',
          r.lingerMs !== undefined ? `linger.ms=${r.lingerMs}` : 'linger.ms=default (5)',
        ].join(', ');
        log(`ProducerPerformance (${r.label}): ${fmtInt(o.ppRecords)} records of ${recordSize} B, ${config}`);
        let cpuMs: number | undefined;
        let sampler: NodeJS.Timeout | undefined;
        const res = await runProducerPerformance({
          onSpawn: (pid) => (sampler = setInterval(() => (cpuMs = processCpuMs(pid) ?? cpuMs), 50)),
          bootstrap,
          topic,
          numRecords: o.ppRecords,
          recordSize,
          acks: 'all',
          compression: o.compression,
          batchSize: r.batchSize,
          lingerMs: r.lingerMs,
        }).finally(() => clearInterval(sampler));
        const { raw: _raw, ...rest } = res;
        producerPerformance.push({ ...rest, label: r.label, config, numRecords: o.ppRecords, recordSize, cpuS: cpuMs === undefined ? undefined : cpuMs / 1000 });
        log(`ProducerPerformance (${r.label}): ${fmtInt(res.recordsPerSec)} records/s, ${res.mbPerSec.toFixed(1)} MB/s, avg latency ${res.avgLatencyMs} ms`);
      }
    }
    const reference = producerPerformance.reduce<ProducerPerfRun | undefined>((best, r) => (!best || r.recordsPerSec > best.recordsPerSec ? r : best), undefined);
    // The ratio is taken on records present in Kafka per second (end to end), not on acks.
    const e2eMbPerSec = (endToEnd.recordsPerSec * pool.avgRecordBytes) / (1024 * 1024);
    const ratio = reference
      ? {
          records: endToEnd.recordsPerSec / reference.recordsPerSec,
          mb: e2eMbPerSec / reference.mbPerSec,
          reference: reference.label,
          vsDefault: producerPerformance.find((r) => r.label === 'defaults')
            ? endToEnd.recordsPerSec / producerPerformance.find((r) => r.label === 'defaults')!.recordsPerSec
            : undefined,
        }
      : undefined;

    const targets = checkTargets(o, endToEnd, latency, ratio?.records, Math.max(sidecarResult.peakRssBytes, sidecarResult.hwmBytes || 0), idleRss);

    // -- Profile: where the sidecar's time goes under the same closed-loop load ----------
    let profile: BenchResult['profile'];
    if (integrity.ok && (o.profile === 'always' || (o.profile === 'auto' && targets.some((t) => !t.met)))) {
      profile = await profileSidecar(o, bootstrap, pools, sidecarArgs.map((a) => (a === path.join(spoolRoot, 'main') ? path.join(spoolRoot, 'profile') : a)));
    }

    return {
      startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
      machine: {
        cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        kernel: os.release(),
        loadAvgBefore,
      },
      options: stripLog(o),
      load: {
        appIds: pools.map((p) => p.appId),
        templateEvents: pool.templates.length,
        taskEndShare: pool.taskEndShare,
        recordsPerEvent: pool.recordsPerEvent,
        avgRecordBytes: pool.avgRecordBytes,
        avgEventProtoBytes: pool.avgEventProtoBytes,
        batchProtoBytes: clients[0].builder.build(1, o.batchSize).bytes.length,
      },
      sidecar: sidecarResult,
      throughput,
      latency,
      topic: { name: TOPIC, recordsExpected, recordsInTopic },
      endToEnd,
      integrity,
      spool: { dir: userSpoolDir ? '(--spool-dir given)' : spoolRoot, bytesLeftAtStop: spoolLeft },
      producerPerformance,
      ratio,
      targets,
      profile,
      wallS: (performance.now() - started) / 1000,
    };
  } finally {
    for (const c of clients) c.close();
    sampler?.stop();
    await progress?.stop();
    await admin?.disconnect().catch(() => undefined);
    if (sidecar) await sidecar.stop('SIGTERM', { graceMs: 5_000 });
    await broker?.stop();
    // A run leaves nothing behind: the spool (hundreds of MB after a long run) goes too.
    rmSync(spoolRoot, { recursive: true, force: true });
  }
}

/** Reads the run's records back and checks each against the acked batches (integrity.ts). */
async function verifyTopic(
  bootstrap: string,
  topic: string,
  since: Offsets,
  until: Offsets,
  clients: BenchClient[],
  pools: TemplatePool[],
  encoding: Encoding,
  /** Fed the same records, for event -> in Kafka of the paced phase. */
  meter?: InKafkaLatencyMeter,
): Promise<IntegrityResult> {
  const ledgers = clients.map((c, i) => ledgerOf(pools[i], c.ackedRanges, c.sentCounter));
  const checker = new IntegrityChecker(ledgers, encoding, clients.flatMap((c) => c.ackAnomalies));
  await readTopicRange(bootstrap, topic, since, until, (v, m) => {
    checker.add(v);
    meter?.add(v, m.timestampMs, m.logAppendTime);
  });
  return checker.result();
}

function dirBytes(dir: string): number {
  let n = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      n += e.isDirectory() ? dirBytes(p) : sizeOf(p);
    }
  } catch {
    /* gone */
  }
  return n;
}

/**
 * Kafka's default message.max.bytes is 1,048,588 per record batch, and the sidecar keys by
 * appId, so one produce request may put all of its records into one partition's batch.
 * Per record on the wire: value + key + ~30 bytes of record framing; 61 bytes per batch.
 */
export function safeMaxBatchRecords(avgRecordBytes: number, keyBytes: number): number {
  const budget = 1_048_588 - 61 - 16 * 1024; // leave room for records above the average
  return Math.max(1, Math.floor(budget / (avgRecordBytes + keyBytes + 30)));
}

function checkTargets(
  o: BenchOptions,
  e2e: BenchResult['endToEnd'],
  lat: BenchResult['latency'],
  ratio: number | undefined,
  peakRss: number,
  idleRss: number,
): TargetCheck[] {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const out: TargetCheck[] = [];
  const ev = e2e.eventsPerSec;
  out.push({
    name: 'sustained task events/s in Kafka (acks=all, end to end)',
    target: `>= ${fmtInt(TARGETS.eventsPerSec)}`,
    measured: fmtInt(ev),
    met: ev >= TARGETS.eventsPerSec,
    gap: ev >= TARGETS.eventsPerSec ? undefined : `${fmtInt(TARGETS.eventsPerSec - ev)} events/s short (${pct(ev / TARGETS.eventsPerSec)} of target; needs ${(TARGETS.eventsPerSec / ev).toFixed(1)}x)`,
  });
  if (ratio !== undefined) {
    out.push({
      name: 'ratio to ProducerPerformance (records/s)',
      target: `>= ${TARGETS.ratioToProducerPerformance}`,
      measured: ratio.toFixed(2),
      met: ratio >= TARGETS.ratioToProducerPerformance,
      gap: ratio >= TARGETS.ratioToProducerPerformance ? undefined : `${(TARGETS.ratioToProducerPerformance - ratio).toFixed(2)} short (needs ${(TARGETS.ratioToProducerPerformance / ratio).toFixed(1)}x)`,
    });
  }
  if (lat) {
    const p99 = lat.latencyMs.p99;
    const atRate = o.rate === TARGETS.p99AtRate ? '' : ` (measured at ${fmtInt(o.rate)}/s, target is at ${fmtInt(TARGETS.p99AtRate)}/s)`;
    const kept = lat.skippedBatches === 0 && lat.achievedRate >= 0.95 * o.rate;
    out.push({
      name: `p99 publish->ack at ${fmtInt(o.rate)} events/s`,
      target: `<= ${TARGETS.p99Ms} ms`,
      measured: `${p99.toFixed(1)} ms${kept ? '' : ` (rate not kept: ${fmtInt(lat.achievedRate)}/s)`}${atRate}`,
      met: p99 <= TARGETS.p99Ms && kept,
      gap: p99 <= TARGETS.p99Ms && kept ? undefined : `${(p99 - TARGETS.p99Ms).toFixed(1)} ms over (${(p99 / TARGETS.p99Ms).toFixed(1)}x)`,
    });
    const k = lat.inKafka;
    // Only a window whose every event was read back, stamped by the broker, is a measurement.
    const valid = k !== undefined && k.missing === 0 && k.notAppendTime === 0 && k.events > 0;
    const p99k = k?.latencyMs.p99 ?? NaN;
    const metK = valid && p99k <= TARGETS.p99InKafkaMs && kept;
    out.push({
      name: `p99 event->in Kafka at ${fmtInt(o.rate)} events/s`,
      target: `<= ${TARGETS.p99InKafkaMs} ms`,
      measured: !k
        ? 'not measured (the spool did not drain)'
        : valid
          ? `${p99k.toFixed(1)} ms${kept ? '' : ` (rate not kept: ${fmtInt(lat.achievedRate)}/s)`}${atRate}`
          : `not measured: ${fmtInt(k.missing)} of ${fmtInt(k.events)} events without a record, ${fmtInt(k.notAppendTime)} records not stamped with LogAppendTime`,
      met: metK,
      gap: metK ? undefined : !valid ? 'no valid measurement' : p99k <= TARGETS.p99InKafkaMs ? 'rate not kept' : `${(p99k - TARGETS.p99InKafkaMs).toFixed(1)} ms over (${(p99k / TARGETS.p99InKafkaMs).toFixed(1)}x)`,
    });
  }
  const us = e2e.sidecarCpuUsPerEvent;
  const usTarget = TARGETS.cpuUsPerEvent[o.encoding];
  // The CPU targets are for records as they are; compressing them is extra work they do not count.
  if (o.compression === 'none') {
    const measuredUs = Number.isFinite(us);
    out.push({
      name: `sidecar CPU per event, ${o.encoding} (first send -> spool drained)`,
      target: `<= ${usTarget} us`,
      measured: measuredUs ? `${us.toFixed(1)} us` : 'not measured (the spool did not drain)',
      met: measuredUs && us <= usTarget,
      gap: measuredUs && us <= usTarget ? undefined : !measuredUs ? 'no valid measurement' : `${(us - usTarget).toFixed(1)} us over (${(us / usTarget).toFixed(1)}x)`,
    });
  }
  out.push({
    name: 'sidecar idle RSS (serving, Kafka up, no client)',
    target: `<= ${mb(TARGETS.idleRssBytes)}`,
    measured: mb(idleRss),
    met: idleRss <= TARGETS.idleRssBytes,
    gap: idleRss <= TARGETS.idleRssBytes ? undefined : `${mb(idleRss - TARGETS.idleRssBytes)} over`,
  });
  out.push({
    name: 'sidecar peak RSS',
    target: `<= ${mb(TARGETS.rssBytes)}`,
    measured: mb(peakRss),
    met: peakRss <= TARGETS.rssBytes,
    gap: peakRss <= TARGETS.rssBytes ? undefined : `${mb(peakRss - TARGETS.rssBytes)} over`,
  });
  return out;
}

async function profileSidecar(o: BenchOptions, bootstrap: string, pools: TemplatePool[], sidecarArgs: string[]): Promise<BenchResult['profile']> {
  const dir = path.resolve(o.profileDir);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  o.log(`profile: sidecar with --cpu-prof under the same closed-loop load for ${o.profileDurationS} s`);
  const args = sidecarArgs.map((a) => (a === TOPIC ? `${TOPIC}-profile` : a));
  const s = await spawnSidecar({ args, nodeFlags: [...o.sidecarNodeFlags, '--cpu-prof', `--cpu-prof-dir=${dir}`], bin: o.sidecarBin, cwd: REPO_ROOT, maxLogLines: 2000 });
  const clients: BenchClient[] = [];
  try {
    await s.waitServing('sparkwire.kafka');
    for (let i = 0; i < o.clients; i++) {
      const c = new BenchClient(s.address, `bench-profile-${i + 1}`, pools[i]);
      c.open();
      clients.push(c);
    }
    const tp = await throughputPhase(clients, {
      batchSize: o.batchSize,
      window: o.window,
      eventsPerClient: 0,
      warmupS: 1,
      durationS: o.profileDurationS,
    });
    for (const c of clients) await c.end();
    const code = await s.stop('SIGTERM', { graceMs: 30_000 });
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) {
      o.log(`profile: no .cpuprofile written (sidecar exit code ${code})`);
      return undefined;
    }
    // The main thread's profile is the big one (tsx's loader thread writes a small one too).
    const file = files.map((f) => path.join(dir, f)).sort((a, b) => sizeOf(b) - sizeOf(a))[0];
    const summary = summarizeProfile(file, 15);
    o.log(`profile: ${file} (${fmtInt(tp.eventsPerSec)} events/s while profiling)`);
    return { file, summary, eventsPerSec: tp.eventsPerSec, note: 'whole sidecar lifetime: start-up, 1 s warm-up and the measured seconds' };
  } finally {
    for (const c of clients) c.close();
    await s.stop('SIGTERM', { graceMs: 5_000 });
  }
}

/** apps/sidecar/bin/sparkwire.js runs the esbuild bundle in apps/sidecar/dist: rebuild it from the current source. */
function buildSidecar(log: (l: string) => void): void {
  const script = path.join(REPO_ROOT, 'apps/sidecar/build.mjs');
  if (!existsSync(script)) return;
  const t = performance.now();
  execFileSync(process.execPath, [script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  log(`sidecar bundle rebuilt (apps/sidecar/build.mjs) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

function sizeOf(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

function stripLog(o: BenchOptions): Omit<BenchOptions, 'log'> {
  const { log: _log, ...rest } = o;
  return rest;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / (1024 * 1024)).toFixed(0)} MB` : 'n/a';
}
