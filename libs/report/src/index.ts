export { decodeValue, num, DecodeError, type Decoded, type SmRecord } from './decode';
export { buildReport, median, AGGREGATED_METRICS, type AggregatedMetric, type AppReport, type JobRow, type StageRow, type StageSkew, type TaskRow, type ReportOptions } from './aggregate';
export { formatBytes, formatDuration, prettyPrintValue } from './format';
export { stageMetricsText } from './text';
export { readRecords, type ReadOptions, type ReadProgress, type ReadRecord } from './read';
