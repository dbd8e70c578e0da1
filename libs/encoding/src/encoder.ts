import type { SparkEvent } from '@sparkwire/proto';

/** Turns one event into the values of the Kafka records it becomes (one or two). */
export interface Encoder {
  readonly name: 'json' | 'protobuf';
  /** `raw`: the event's bytes as the client sent them, when the receiver kept them. */
  encode(event: SparkEvent, raw?: Uint8Array): Array<string | Buffer>;
}
