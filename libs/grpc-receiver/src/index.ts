export { startReceiver, LISTENER_SERVICE_NAME, type Receiver, type ReceiverOptions, type ReceiverTls } from './receiver';
export { createListenerService, listenerServiceDefinition, listenerServiceDefinitionWith, type ReceiverCounters, type ReceiverLogger } from './listener-service';
export { tokenCheck, type TokenCheck } from './auth';
export { createRequestDecoder, decodePublishRequest, DEFAULT_DECODE_LIMITS, type Decoded, type DecodeLimits } from './decode';
export { guardUnary, type ExtraService } from './extra-services';
export { InFlightBudget, StreamRegistry } from './limits';
export { receiverConfigSchema, receiverConfigIssues, receiverSettings, type ReceiverConfig, type ReceiverConfigInput, type ReceiverSettings } from './config';
