// kafkajs log entries -> levels of our structured log. kafkajs logs every failed request at
// error level, including the retriable answers of a broker that is starting up (a fresh
// cluster creates __consumer_offsets and the transaction state on first use) which kafkajs
// itself retries: those would put an error line in every clean start. They, and kafkajs's
// notice about the producer's bounded retries (deliberate here: a batch that cannot be sent
// goes back to its client), are logged at debug. A retriable error that does not go away
// still ends in a failed request, which the sink and offsets code log themselves.
import { logLevel, type LogEntry } from 'kafkajs';

export type KafkaLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Messages of kafkajs's retriable protocol errors that a starting or rebalancing cluster answers. */
const BENIGN_RESPONSE_ERRORS = [
  "The coordinator is loading and hence can't process requests for this group", // GROUP_LOAD_IN_PROGRESS (COORDINATOR_LOAD_IN_PROGRESS)
  'The group coordinator is not available', // GROUP_COORDINATOR_NOT_AVAILABLE
  'This is not the correct coordinator for this group', // NOT_COORDINATOR_FOR_GROUP
  'There is no leader for this topic-partition as we are in the middle of a leadership election', // LEADER_NOT_AVAILABLE (new topic)
];

const BENIGN_NOTICES = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

export function kafkajsLogLevel(entry: LogEntry, otherwise: KafkaLogLevel = entry.level <= logLevel.ERROR ? 'error' : 'warn'): KafkaLogLevel {
  const { message, error } = entry.log as { message?: string; error?: string };
  if (message && BENIGN_NOTICES.includes(message)) return 'debug';
  if (entry.namespace === 'Connection' && message?.startsWith('Response ') && error && BENIGN_RESPONSE_ERRORS.includes(error)) return 'debug';
  return otherwise;
}
