// protobuf encoding: one record per event, the value is a serialized sparkwire.v1.SparkEvent.
import { SparkEvent } from '@sparkwire/proto';
import type { Encoder } from './encoder';

export const protobufEncoder: Encoder = {
  name: 'protobuf',
  encode(event, raw) {
    // The client's own bytes when we have them: no re-encoding on the hot path, and fields
    // from a newer client's proto pass through intact.
    if (raw) return [Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)];
    return [Buffer.from(SparkEvent.encode(event).finish())];
  },
};
