// spark.streaming.query (open from QueryStarted to QueryTerminated) and spark.streaming.batch
// (one per progress report: progress.timestamp .. + batchDuration, built from the report
// alone). A batch that reads only Kafka is described with the messaging conventions.
import { SpanKind, type AttributeValue } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { StreamingProgress, StreamingQueryStarted, StreamingQueryTerminated } from '@sparkwire/proto';
import { A, EVENT_NAMES, PREFIX, longAttr } from './attributes';
import { spanIdFor } from './ids';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_SYSTEM_VALUE_KAFKA,
} from './semconv';
import { cleanAttributes, msToHrTime } from './spans';
import type { AppState, TraceState } from './trace-state';

export function streamingQueryStarted(state: TraceState, app: AppState, v: StreamingQueryStarted, t: number): void {
  state.openSpan(app, 'streaming_query', v.runId, app.appSpanId, t, {
    [A.queryId]: v.id,
    [A.queryRunId]: v.runId,
    [A.queryName]: v.name || undefined,
  });
}

export function streamingQueryTerminated(state: TraceState, app: AppState, v: StreamingQueryTerminated, t: number): void {
  state.endSpan(app, 'streaming_query', v.runId, t, { [A.queryId]: v.id, [A.queryRunId]: v.runId }, v.exception || undefined, app.appSpanId);
}

export function streamingProgress(state: TraceState, app: AppState, p: StreamingProgress, t: number): void {
  const query = app.open.get(`streaming_query:${p.runId}`);
  if (query) state.touch(query);
  const parsed = Date.parse(p.timestamp);
  const batchMs = Number(p.batchDurationMs);
  const start = Number.isFinite(parsed) ? parsed : t - batchMs;
  const durations: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(p.durationMs)) durations[`${PREFIX.streamingDuration}${k}`] = longAttr(v);
  const topics = new Set<string>();
  let kafkaSources = 0;
  const events: TimedEvent[] = p.sources.map((s) => {
    const kafka = isKafkaSource(s.description);
    const sourceTopics = kafka ? kafkaTopics(s.endOffset || s.startOffset) : [];
    if (kafka) kafkaSources++;
    for (const tp of sourceTopics) topics.add(tp);
    const metrics: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(s.metrics)) metrics[`${PREFIX.sourceMetrics}${k}`] = v;
    return {
      time: msToHrTime(start),
      name: EVENT_NAMES.streamingSource,
      attributes: cleanAttributes({
        [A.sourceDescription]: s.description,
        [A.sourceStartOffset]: s.startOffset || undefined,
        [A.sourceEndOffset]: s.endOffset || undefined,
        [A.sourceLatestOffset]: s.latestOffset || undefined,
        [A.sourceNumInputRows]: longAttr(s.numInputRows),
        [A.sourceInputRowsPerSecond]: finite(s.inputRowsPerSecond),
        [A.sourceProcessedRowsPerSecond]: finite(s.processedRowsPerSecond),
        [ATTR_MESSAGING_SYSTEM]: kafka ? MESSAGING_SYSTEM_VALUE_KAFKA : undefined,
        [ATTR_MESSAGING_DESTINATION_NAME]: sourceTopics.length === 1 ? sourceTopics[0] : undefined,
        ...metrics,
      }),
    };
  });
  // A micro-batch reading only Kafka is a messaging "process" operation over a batch.
  const allKafka = kafkaSources > 0 && kafkaSources === p.sources.length;
  let stateRows = 0n;
  let stateMemory = 0n;
  for (const op of p.stateOperators) {
    stateRows += op.numRowsTotal;
    stateMemory += op.memoryUsedBytes;
  }
  state.emit(app, 'streaming_batch', {
    spanId: spanIdFor(app.appId, app.attemptId, 'streaming_batch', `${p.runId}.${p.batchId}`),
    parentSpanId: spanIdFor(app.appId, app.attemptId, 'streaming_query', p.runId),
    startMs: start,
    endMs: start + batchMs,
    kind: allKafka ? SpanKind.CONSUMER : SpanKind.INTERNAL,
    attributes: {
      [A.queryId]: p.id,
      [A.queryRunId]: p.runId,
      [A.queryName]: p.name || undefined,
      [A.batchId]: longAttr(p.batchId),
      [A.batchDurationMs]: longAttr(p.batchDurationMs),
      [A.numInputRows]: longAttr(p.numInputRows),
      [A.inputRowsPerSecond]: finite(p.inputRowsPerSecond),
      [A.processedRowsPerSecond]: finite(p.processedRowsPerSecond),
      ...durations,
      [A.sinkDescription]: p.sink?.description || undefined,
      [A.sinkNumOutputRows]: p.sink ? longAttr(p.sink.numOutputRows) : undefined,
      [A.stateRowsTotal]: p.stateOperators.length > 0 ? longAttr(stateRows) : undefined,
      [A.stateMemoryBytes]: p.stateOperators.length > 0 ? longAttr(stateMemory) : undefined,
      [A.watermark]: p.eventTime.watermark || undefined,
      [ATTR_MESSAGING_SYSTEM]: allKafka ? MESSAGING_SYSTEM_VALUE_KAFKA : undefined,
      [ATTR_MESSAGING_OPERATION_TYPE]: allKafka ? MESSAGING_OPERATION_TYPE_VALUE_PROCESS : undefined,
      [ATTR_MESSAGING_OPERATION_NAME]: allKafka ? 'process' : undefined,
      [ATTR_MESSAGING_DESTINATION_NAME]: allKafka && topics.size === 1 ? [...topics][0] : undefined,
      [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: allKafka ? longAttr(p.numInputRows) : undefined,
    },
    events,
  });
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** Spark's Kafka source describes itself as KafkaV2[Subscribe[topic]] (or KafkaSource[...] in older versions). */
export function isKafkaSource(description: string): boolean {
  return /^Kafka(V2|Source|MicroBatch)/i.test(description);
}

/** Topic names from a Kafka source's offsets JSON ({"topic":{"0":123}}). */
export function kafkaTopics(offsetsJson: string): string[] {
  try {
    const o = JSON.parse(offsetsJson) as unknown;
    return o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o) : [];
  } catch {
    return [];
  }
}
