export { EventLogMapper, replayEventId, stageInfo, stageMetrics, taskInfo, taskMetrics, reasonMessage, SPARK_CONFIG_ALLOW_LIST, MAX_MESSAGE_CHARS, MAX_TEXT_CHARS } from './mapper';
export { parseLine } from './json';
export { createDecoder, sniffCodec, SUPPORTED_CODECS, type Codec } from './codecs';
export { resolveLogs, readLines, parseLogName, EventLogError, type EventLogSource, type LogFile, type LogLine, type ReadProgress, type StreamProblem } from './reader';
export { mapEventLog, newStats, type LogStats, type BadLine } from './replay';
