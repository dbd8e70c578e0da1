// The few OpenTelemetry semantic-convention names the trace builder uses, copied from
// @opentelemetry/semantic-conventions 1.45 (the messaging ones live in its `/incubating`
// entry point, which is not meant to be imported at run time).

// Stable.
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_EXCEPTION_TYPE = 'exception.type';
export const ATTR_EXCEPTION_MESSAGE = 'exception.message';
export const ATTR_ERROR_TYPE = 'error.type';
export const EXCEPTION_EVENT_NAME = 'exception';

// Messaging (incubating): a micro-batch that reads Kafka is a batch "process" operation.
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const MESSAGING_SYSTEM_VALUE_KAFKA = 'kafka';
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process';
