// SparkListenerEnvironmentUpdate, read for context only: labels, the traceparent and the
// allow-listed configuration, which later events (ApplicationStart/End, every envelope) carry.
import type { Json } from './json';
import type { MapperState } from './mapper-state';
import { toMap } from './values';

/**
 * The listener's allow-list of resource and tuning keys (SparkwireConfig.SPARK_CONFIG_ALLOW_LIST,
 * same keys, same order): sparkwire's five naming and scheduling keys, then sparkMeasure V2's
 * 61 (KafkaSinkV2 v0.28), matched exactly.
 */
export const SPARK_CONFIG_ALLOW_LIST = [
  'spark.app.name', 'spark.master', 'spark.submit.deployMode', 'spark.task.cpus', 'spark.scheduler.mode',
  'spark.sparkmeasure.appLabels.', 'spark.sparkmeasure.', 'spark.executor.instances', 'spark.executor.memory',
  'spark.executor.memoryOverhead', 'spark.executor.cores', 'spark.executor.heartbeatInterval', 'spark.driver.memory',
  'spark.driver.memoryOverhead', 'spark.driver.cores', 'spark.driver.maxResultSize',
  'spark.dynamicAllocation.enabled', 'spark.dynamicAllocation.minExecutors', 'spark.dynamicAllocation.maxExecutors',
  'spark.dynamicAllocation.initialExecutors', 'spark.dynamicAllocation.executorIdleTimeout',
  'spark.dynamicAllocation.cachedExecutorIdleTimeout', 'spark.dynamicAllocation.schedulerBacklogTimeout',
  'spark.sql.shuffle.partitions', 'spark.default.parallelism', 'spark.sql.adaptive.enabled',
  'spark.sql.adaptive.coalescePartitions.enabled', 'spark.sql.adaptive.coalescePartitions.minPartitionNum',
  'spark.sql.adaptive.advisoryPartitionSizeInBytes', 'spark.sql.adaptive.skewJoin.enabled',
  'spark.sql.adaptive.skewJoin.skewedPartitionFactor', 'spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes',
  'spark.shuffle.service.enabled', 'spark.shuffle.compress', 'spark.shuffle.spill.compress',
  'spark.shuffle.file.buffer', 'spark.shuffle.io.retryWait', 'spark.shuffle.io.maxRetries', 'spark.memory.fraction',
  'spark.memory.storageFraction', 'spark.memory.offHeap.enabled', 'spark.memory.offHeap.size',
  'spark.kubernetes.executor.request.cores', 'spark.kubernetes.executor.limit.cores',
  'spark.kubernetes.driver.request.cores', 'spark.kubernetes.driver.limit.cores',
  'spark.kubernetes.memoryOverheadFactor', 'spark.kubernetes.allocation.batch.size',
  'spark.kubernetes.allocation.batch.delay', 'spark.kubernetes.executor.deleteOnTermination', 'spark.serializer',
  'spark.kryoserializer.buffer.max', 'spark.kryoserializer.buffer', 'spark.rdd.compress', 'spark.network.timeout',
  'spark.rpc.askTimeout', 'spark.rpc.lookupTimeout', 'spark.sql.autoBroadcastJoinThreshold',
  'spark.sql.broadcastTimeout', 'spark.sql.files.maxPartitionBytes', 'spark.sql.files.openCostInBytes',
  'spark.sql.files.minPartitionNum', 'spark.speculation', 'spark.speculation.multiplier',
  'spark.speculation.quantile', 'spark.speculation.interval',
];
const LABELS_PREFIX = 'spark.sparkwire.labels.';
/** sparkMeasure's labels, read for a key sparkwire's own labels do not set (as the listener does). */
const SPARKMEASURE_LABELS_PREFIX = 'spark.sparkmeasure.appLabels.';
const TRACEPARENT = 'spark.sparkwire.traceparent';

/** Reads the context into the state; returns the log's spark.app.id, if it has one. */
export function readEnvironment(s: MapperState, e: Json): string | undefined {
  const props = toMap(e['Spark Properties']);
  const found: Record<string, string> = {};
  // sparkMeasure's appLabels first, so sparkwire's own labels win on a clash (as SparkwireConfig).
  for (const prefix of [SPARKMEASURE_LABELS_PREFIX, LABELS_PREFIX]) {
    for (const k of Object.keys(props)) if (k.startsWith(prefix) && k.length > prefix.length) found[k.slice(prefix.length)] = props[k];
  }
  const labels: Record<string, string> = {};
  for (const k of Object.keys(found).sort()) labels[k] = found[k];
  s.labels = labels;
  s.traceparent = (props[TRACEPARENT] ?? '').trim();
  const cfg: Record<string, string> = {};
  for (const k of SPARK_CONFIG_ALLOW_LIST) if (props[k] !== undefined) cfg[k] = props[k];
  // Spark adds spark.scheduler.mode to the logged properties when the conf lacks it
  // (SparkEnv.environmentDetails), always as the default FIFO: the listener, reading the
  // conf, has none then. A conf that set FIFO explicitly is indistinguishable (docs/replay.md).
  if (cfg['spark.scheduler.mode'] === 'FIFO') delete cfg['spark.scheduler.mode'];
  s.sparkConfigs = cfg;
  return props['spark.app.id'];
}
