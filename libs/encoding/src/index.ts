export type { Encoder } from './encoder';
export { protobufEncoder } from './protobuf-encoder';
export { sparkMeasureJsonEncoder, toSparkMeasureRecords } from './sparkmeasure-json';
export { jsonLong, jsonText, parseJson } from './json-text';
import { protobufEncoder } from './protobuf-encoder';
import { sparkMeasureJsonEncoder } from './sparkmeasure-json';
import type { Encoder } from './encoder';

export function encoderFor(name: 'json' | 'protobuf'): Encoder {
  return name === 'protobuf' ? protobufEncoder : sparkMeasureJsonEncoder;
}
