export { Pipeline, type PipelineOptions, type PublishResult, type EventObserver } from './pipeline';
export { PipelineError, Status, type StatusCode } from './errors';
export { validateBatch, isTaskEvent, type BatchLimits } from './validate';
export { BatchLedger, EventIdWindow } from './dedupe';
export { Router, type RouteConfig } from './route';
export type { Sink, OutRecord, WriteMeta } from './sink';
export { recordKey } from './sink';
export { PipelineStats, type ClientReport } from './stats';
export { MemorySink } from './test-sink';
