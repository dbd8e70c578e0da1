// The wire-format schema the request validator (wire-validate.ts) checks frames against,
// and its compiled form. It is derived at start from protoc's own FileDescriptorSet of
// proto/ (libs/proto's generated descriptor set, which `npm run gen` writes and a test keeps
// in sync with proto/), so the validator knows every field the .proto files have: a field
// added to proto/ is in the schema with nothing else to change (wire-schema.test.ts checks
// it against a fresh protoc run and against what the generated TypeScript encodes).
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type DescriptorProto, type FileDescriptorSet } from '@bufbuild/protobuf/wkt';

export type ScalarType =
  | 'double'
  | 'float'
  | 'int64'
  | 'uint64'
  | 'int32'
  | 'fixed64'
  | 'fixed32'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'uint32'
  | 'enum'
  | 'sfixed32'
  | 'sfixed64'
  | 'sint32'
  | 'sint64';

export interface WireField {
  no: number;
  /** The proto field name (snake_case), as error messages name it. */
  name: string;
  type: ScalarType | 'message';
  repeated?: boolean;
  /** Full name of the message type, for type 'message' (map fields: the map entry type). */
  message?: string;
}

export interface WireMessage {
  /** A map field's synthetic entry message (key = 1, value = 2). */
  mapEntry?: boolean;
  fields: WireField[];
}

export type WireSchema = Record<string, WireMessage>;

// What a known field is, as the validator needs it: the expected encoding (low 3 bits) and
// whether it is repeated. 0 means "not a known field": skipped as an unknown field.
export const K_VARINT = 1;
export const K_I64 = 2;
export const K_I32 = 3;
export const K_STRING = 4;
export const K_BYTES = 5;
export const K_MESSAGE = 6;
export const K_REPEATED = 8;

const KIND: Record<WireField['type'], number> = {
  int32: K_VARINT,
  int64: K_VARINT,
  uint32: K_VARINT,
  uint64: K_VARINT,
  sint32: K_VARINT,
  sint64: K_VARINT,
  bool: K_VARINT,
  enum: K_VARINT,
  fixed64: K_I64,
  sfixed64: K_I64,
  double: K_I64,
  fixed32: K_I32,
  sfixed32: K_I32,
  float: K_I32,
  string: K_STRING,
  bytes: K_BYTES,
  message: K_MESSAGE,
};

export interface CompiledMessage {
  name: string;
  mapEntry: boolean;
  /** By field number: K_* | K_REPEATED, 0 for numbers the message does not have. */
  spec: Uint8Array;
  /** By field number: the nested message type of message fields. */
  sub: Array<CompiledMessage | undefined>;
  /** By field number: the proto field name. */
  names: string[];
  /**
   * By field number: the field's counter slot (-1: none). Repeated fields count their
   * entries; singular message fields count their occurrences (at most 1 is accepted).
   */
  slot: Int8Array;
  /** Counter slots of the message. */
  slots: number;
  fields: WireField[];
}

export interface CompiledSchema {
  root: CompiledMessage;
  messages: Map<string, CompiledMessage>;
  /** Most counter slots of any one message (the validator's per-level counters). */
  maxSlots: number;
}

/** Dense per-field-number tables for the validator's hot loop; message types resolved. */
export function compileSchema(schema: WireSchema, rootName: string): CompiledSchema {
  const messages = new Map<string, CompiledMessage>();
  for (const [name, m] of Object.entries(schema)) {
    const top = m.fields.reduce((n, f) => Math.max(n, f.no), 0);
    // Field numbers go up to 2^29-1; a dense table is only used for small ones (all of ours).
    if (top > 4096) throw new Error(`${name}: field number ${top} is too large for the dense validator tables`);
    const counted = m.fields.filter((f) => f.repeated || f.type === 'message');
    if (counted.length > 127) throw new Error(`${name}: too many repeated and message fields`);
    const c: CompiledMessage = {
      name,
      mapEntry: Boolean(m.mapEntry),
      spec: new Uint8Array(top + 1),
      sub: new Array(top + 1).fill(undefined),
      names: new Array(top + 1).fill(''),
      slot: new Int8Array(top + 1).fill(-1),
      slots: counted.length,
      fields: m.fields,
    };
    for (const f of m.fields) {
      c.spec[f.no] = KIND[f.type] | (f.repeated ? K_REPEATED : 0);
      c.names[f.no] = f.name;
      if (f.repeated || f.type === 'message') c.slot[f.no] = counted.indexOf(f);
    }
    messages.set(name, c);
  }
  for (const c of messages.values()) {
    for (const f of c.fields) {
      if (f.type !== 'message') continue;
      const sub = messages.get(f.message ?? '');
      if (!sub) throw new Error(`${c.name}.${f.name}: message type ${f.message} is not in the schema`);
      c.sub[f.no] = sub;
    }
  }
  const root = messages.get(rootName);
  if (!root) throw new Error(`root message ${rootName} is not in the schema`);
  let maxSlots = 0;
  for (const c of messages.values()) maxSlots = Math.max(maxSlots, c.slots);
  return { root, messages, maxSlots };
}

// FieldDescriptorProto.Type, by number.
const DESCRIPTOR_TYPES: Record<number, WireField['type'] | 'group'> = {
  1: 'double',
  2: 'float',
  3: 'int64',
  4: 'uint64',
  5: 'int32',
  6: 'fixed64',
  7: 'fixed32',
  8: 'bool',
  9: 'string',
  10: 'group',
  11: 'message',
  12: 'bytes',
  13: 'uint32',
  14: 'enum',
  15: 'sfixed32',
  16: 'sfixed64',
  17: 'sint32',
  18: 'sint64',
};
const LABEL_REPEATED = 3;

/**
 * The schema of `rootName` and every message reachable from it (map entries included), from
 * a serialized FileDescriptorSet (protoc --descriptor_set_out --include_imports).
 */
export function schemaFromDescriptorSet(set: Uint8Array | FileDescriptorSet, rootName: string): WireSchema {
  const files = set instanceof Uint8Array ? fromBinary(FileDescriptorSetSchema, set) : set;
  const all = new Map<string, DescriptorProto>();
  const add = (prefix: string, m: DescriptorProto) => {
    const name = prefix ? `${prefix}.${m.name}` : m.name;
    all.set(name, m);
    for (const n of m.nestedType) add(name, n);
  };
  for (const f of files.file) for (const m of f.messageType) add(f.package, m);
  const schema: WireSchema = {};
  const visit = (name: string) => {
    if (schema[name]) return;
    const m = all.get(name);
    if (!m) throw new Error(`message ${name} is not in the descriptor set`);
    const fields: WireField[] = [];
    schema[name] = m.options?.mapEntry ? { mapEntry: true, fields } : { fields };
    for (const f of [...m.field].sort((a, b) => a.number - b.number)) {
      const type = DESCRIPTOR_TYPES[f.type];
      if (!type) throw new Error(`${name}.${f.name}: unknown field type ${f.type}`);
      if (type === 'group') throw new Error(`${name}.${f.name}: groups are not supported`);
      const field: WireField = { no: f.number, name: f.name, type };
      if (f.label === LABEL_REPEATED) field.repeated = true;
      if (type === 'message') field.message = f.typeName.replace(/^\./, '');
      fields.push(field);
    }
    for (const f of fields) if (f.message) visit(f.message);
  };
  visit(rootName);
  return schema;
}
