// Kafka record values back into sparkMeasure-shaped records, whatever the topic's encoding:
// `json` values are sparkMeasure JSON objects already; `protobuf` values are serialized
// sparkwire.v1.SparkEvent messages, turned into the very records the json encoding would
// have written (one event can be two records: stages_ended + stage_metrics, ...), so every
// reader (report, tail) works on one shape. The encodings are told apart by the first byte:
// a JSON object starts with '{' (0x7b), which in protobuf would be field 15 with the
// deprecated start-group wire type, never written by a proto3 encoder.
import { SparkEvent } from '@sparkwire/proto';
import { parseJson, sparkMeasureJsonEncoder } from '@sparkwire/encoding';

export type SmRecord = Record<string, unknown> & { name: string; appId: string };

export interface Decoded {
  encoding: 'json' | 'protobuf';
  records: SmRecord[];
  /** The event, for protobuf values. */
  event?: SparkEvent;
}

export class DecodeError extends Error {}

export function decodeValue(value: Buffer | Uint8Array): Decoded {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (buf.length > 0 && buf[0] === 0x7b) {
    let parsed: unknown;
    try {
      parsed = parseJson(buf.toString('utf8'));
    } catch (err) {
      throw new DecodeError(`not a JSON record: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || typeof (parsed as SmRecord).name !== 'string') throw new DecodeError('JSON record without a "name"');
    return { encoding: 'json', records: [parsed as SmRecord] };
  }
  let event: SparkEvent;
  try {
    event = SparkEvent.decode(buf);
  } catch (err) {
    throw new DecodeError(`neither a JSON record nor a sparkwire.v1.SparkEvent: ${(err as Error).message}`);
  }
  const records = sparkMeasureJsonEncoder.encode(event).map((v) => parseJson(typeof v === 'string' ? v : v.toString('utf8')) as SmRecord);
  return { encoding: 'protobuf', records, event };
}

/** A record field as a number (bigints above 2^53 lose their last digits: fine for a report). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return 0;
}
