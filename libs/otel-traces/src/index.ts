export { SparkTraceBuilder, isKafkaSource, kafkaTopics, type SpanSink, type TraceBuilderOptions, type TraceBuilderStats } from './trace-builder';
export { traceIdFor, spanIdFor, parseTraceparent, sampleUnit, SPAN_KEYS, type SparkSpanKind, type RemoteParent } from './ids';
export { SPAN_NAMES, A as SPARK_ATTRIBUTES, PREFIX as SPARK_ATTRIBUTE_PREFIXES, EVENT_NAMES, type CloseReason } from './attributes';
export { buildSpan, msToHrTime, INSTRUMENTATION_SCOPE, MAX_ATTRIBUTE_LENGTH } from './spans';
export { createSpanExporter, createSpanExportPipeline, httpSignalUrl, CountingExporter, type OtlpProtocol, type TraceExportSettings, type ExportCounters, type SpanExportPipeline } from './export';
export { startTracing, resolveTracing, baseResource, DEFAULT_SPAN_QUEUE_SIZE, type Tracing, type TracingConfig, type ResolvedTracing } from './tracing';
export { tracesConfigSchema, type TracingConfigInput } from './config';
