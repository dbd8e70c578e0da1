export { SpoolingSink, DRAINER_STATES, type DrainerState, type SpoolOptions, type SpoolLogger, type SpoolEvents, type SpoolStats } from './spooling-sink';
export { recover, type RecoveryResult, type CorruptionReport, type SegmentInfo } from './recovery';
export { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint';
export { encodePayload, decodePayload } from './entry-codec';
export { frameEntry, EntryReader, segmentName, FILE_HEADER_BYTES, ENTRY_HEADER_BYTES } from './segment-format';
export { SpoolLockedError } from './lock';
export { crc32 } from './crc32';
export type { FsyncPolicy } from './wal';
export { DeadLetterStore, DeadLetterFullError, redrive, deadLetterEntry, entryRecord, entryId, DEAD_LETTER_DIR, type DeadLetterEntry, type DeadLetterError, type StoredEntry, type RedriveResult, type RedriveSink, type DeadLetterStats } from './dead-letter';
