// gRPC server reflection (grpc.reflection.v1 and v1alpha) over the FileDescriptorSet that
// protoc built (libs/proto/src/gen/descriptor-set.ts, written by tools/codegen/gen-ts.mjs),
// serving each file's bytes exactly as protoc wrote them.
//
// Why not @grpc/reflection: it serves descriptors that protobufjs rebuilt from the .proto
// files, whose map entry messages are not named as protoc names them (`LabelsEntry`), so strict
// clients (grpcurl, anything on protobuf-go) refuse every file with a map field; and it only
// knows the files it was given, not grpc.health.v1. Here the descriptors are protoc's own and
// the set includes health and reflection itself.
import * as grpc from '@grpc/grpc-js';
import { create, createFileRegistry, fromBinary, toBinary, type Message } from '@bufbuild/protobuf';
import {
  FileDescriptorSetSchema,
  FileDescriptorProtoSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
} from '@bufbuild/protobuf/wkt';

export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

export interface ReflectionIndex {
  /** Fully qualified services that list_services answers (served and described). */
  services: string[];
  /** File name -> the file's FileDescriptorProto bytes as protoc wrote them. */
  fileBytes: Map<string, Uint8Array>;
  /** The file plus every file it imports, transitively, file first. */
  closure(fileName: string): string[];
  /** Fully qualified symbol (message, field, oneof, enum, enum value, service, method, extension) -> its file. */
  symbols: Map<string, string>;
  /** Extended message -> extension number -> file declaring it. */
  extensions: Map<string, Map<number, string>>;
}

/** The FileDescriptorProto messages inside a FileDescriptorSet, as the exact bytes of each (field 1). */
export function splitDescriptorSet(set: Uint8Array): Uint8Array[] {
  const files: Uint8Array[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= set.length || shift > 35) throw new Error('descriptor set: bad varint');
      const b = set[pos++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < set.length) {
    const tag = varint();
    if (tag !== 0x0a) throw new Error(`descriptor set: unexpected tag ${tag}`);
    const len = varint();
    if (pos + len > set.length) throw new Error('descriptor set: truncated file');
    files.push(set.subarray(pos, pos + len));
    pos += len;
  }
  return files;
}

export function indexDescriptorSet(set: Uint8Array, served: string[]): ReflectionIndex {
  const fileBytes = new Map<string, Uint8Array>();
  const symbols = new Map<string, string>();
  const extensions = new Map<string, Map<number, string>>();
  const deps = new Map<string, string[]>();
  const described = new Set<string>();
  // Walks each FileDescriptorProto as protoc wrote it (map entry messages included, which
  // descriptor libraries hide behind their map fields).
  const addExtension = (x: FieldDescriptorProto, scope: string, file: string) => {
    symbols.set(scope + x.name, file);
    const extendee = x.extendee.replace(/^\./, '');
    let byNumber = extensions.get(extendee);
    if (!byNumber) extensions.set(extendee, (byNumber = new Map()));
    byNumber.set(x.number, file);
  };
  const addEnum = (e: EnumDescriptorProto, scope: string, file: string) => {
    symbols.set(scope + e.name, file);
    // Enum values are scoped like their enum's siblings (C++ scoping rules).
    for (const v of e.value) symbols.set(scope + v.name, file);
  };
  const addMessage = (m: DescriptorProto, scope: string, file: string) => {
    const name = scope + m.name;
    symbols.set(name, file);
    for (const f of m.field) symbols.set(`${name}.${f.name}`, file);
    for (const o of m.oneofDecl) symbols.set(`${name}.${o.name}`, file);
    for (const n of m.nestedType) addMessage(n, `${name}.`, file);
    for (const e of m.enumType) addEnum(e, `${name}.`, file);
    for (const x of m.extension) addExtension(x, `${name}.`, file);
  };
  for (const bytes of splitDescriptorSet(set)) {
    const f = fromBinary(FileDescriptorProtoSchema, bytes);
    const name = f.name;
    if (fileBytes.has(name)) continue;
    fileBytes.set(name, bytes);
    deps.set(name, f.dependency);
    const scope = f.package ? `${f.package}.` : '';
    for (const m of f.messageType) addMessage(m, scope, name);
    for (const e of f.enumType) addEnum(e, scope, name);
    for (const x of f.extension) addExtension(x, scope, name);
    for (const s of f.service) {
      const service = scope + s.name;
      symbols.set(service, name);
      described.add(service);
      for (const m of s.method) symbols.set(`${service}.${m.name}`, name);
    }
  }
  return {
    services: served.filter((s) => described.has(s)).sort(),
    fileBytes,
    symbols,
    extensions,
    closure(file) {
      const out: string[] = [];
      const seen = new Set<string>();
      const walk = (f: string) => {
        if (seen.has(f) || !fileBytes.has(f)) return;
        seen.add(f);
        out.push(f);
        for (const d of deps.get(f) ?? []) walk(d);
      };
      walk(file);
      return out;
    },
  };
}

const NOT_FOUND = grpc.status.NOT_FOUND;

type Answer =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: 'allExtensionNumbersResponse'; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: 'listServicesResponse'; value: { service: Array<{ name: string }> } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } };

interface ReflectionRequest {
  host: string;
  messageRequest: { case: string | undefined; value?: unknown };
}

/** One request of the stream, answered from the index (the same for v1 and v1alpha). */
export function answer(index: ReflectionIndex, req: ReflectionRequest): Answer {
  const files = (file: string): Answer => ({
    case: 'fileDescriptorResponse',
    value: { fileDescriptorProto: index.closure(file).map((f) => index.fileBytes.get(f)!) },
  });
  const error = (errorCode: number, errorMessage: string): Answer => ({ case: 'errorResponse', value: { errorCode, errorMessage } });
  const r = req.messageRequest;
  switch (r.case) {
    case 'listServices':
      return { case: 'listServicesResponse', value: { service: index.services.map((name) => ({ name })) } };
    case 'fileByFilename': {
      const name = r.value as string;
      return index.fileBytes.has(name) ? files(name) : error(NOT_FOUND, `file not found: ${name}`);
    }
    case 'fileContainingSymbol': {
      const symbol = (r.value as string).replace(/^\./, '');
      const file = index.symbols.get(symbol);
      return file ? files(file) : error(NOT_FOUND, `symbol not found: ${symbol}`);
    }
    case 'fileContainingExtension': {
      const { containingType, extensionNumber } = r.value as { containingType: string; extensionNumber: number };
      const file = index.extensions.get(containingType)?.get(extensionNumber);
      return file ? files(file) : error(NOT_FOUND, `extension ${extensionNumber} of ${containingType} not found`);
    }
    case 'allExtensionNumbersOfType': {
      const type = r.value as string;
      if (!index.symbols.has(type)) return error(NOT_FOUND, `type not found: ${type}`);
      return { case: 'allExtensionNumbersResponse', value: { baseTypeName: type, extensionNumber: [...(index.extensions.get(type)?.keys() ?? [])].sort((a, b) => a - b) } };
    }
    default:
      return error(grpc.status.INVALID_ARGUMENT, 'empty or unknown reflection request');
  }
}

/**
 * grpc.reflection.v1 and v1alpha ServerReflection on the server. `served` are the services the
 * server has (list_services names those the descriptor set describes, the reflection services
 * included).
 */
export function addReflection(server: grpc.Server, descriptorSet: Uint8Array, served: string[]): ReflectionIndex {
  const index = indexDescriptorSet(descriptorSet, [...served, ...REFLECTION_SERVICES]);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  for (const service of REFLECTION_SERVICES) {
    const pkg = service.slice(0, service.lastIndexOf('.'));
    const reqDesc = registry.getMessage(`${pkg}.ServerReflectionRequest`);
    const resDesc = registry.getMessage(`${pkg}.ServerReflectionResponse`);
    if (!reqDesc || !resDesc) throw new Error(`descriptor set lacks ${pkg}`);
    const definition: grpc.ServiceDefinition = {
      ServerReflectionInfo: {
        path: `/${service}/ServerReflectionInfo`,
        requestStream: true,
        responseStream: true,
        requestSerialize: (m: Message) => Buffer.from(toBinary(reqDesc, m)),
        requestDeserialize: (b: Buffer) => fromBinary(reqDesc, b),
        responseSerialize: (m: Message) => Buffer.from(toBinary(resDesc, m)),
        responseDeserialize: (b: Buffer) => fromBinary(resDesc, b),
        originalName: 'serverReflectionInfo',
      },
    };
    server.addService(definition, {
      ServerReflectionInfo: (call: grpc.ServerDuplexStream<Message, Message>) => {
        call.on('data', (req: Message) => {
          const r = req as unknown as ReflectionRequest;
          call.write(create(resDesc, { validHost: r.host, originalRequest: req, messageResponse: answer(index, r) } as never));
        });
        call.on('end', () => call.end());
        call.on('error', () => undefined);
      },
    });
  }
  return index;
}
