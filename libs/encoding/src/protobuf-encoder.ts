// protobuf encoding: one record per event, the value is a serialized sparkwire.v1.SparkEvent.
import { SparkEvent } from '@sparkwire/proto';
import type { Encoder } from './encoder';

export const protobufEncoder: Encoder = {
  name: 'protobuf',
  encode(event) {
    return [Buffer.from(SparkEvent.encode(event).finish())];
  },
};
