// Server reflection over protoc's descriptor set, v1 and v1alpha, through a real grpc-js
// server and client (grpcurl itself runs against the sidecar in apps/sidecar/test/grpcurl.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { create, createFileRegistry, fromBinary, toBinary, type Message } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { descriptorSet } from '@sparkwire/proto';
import { addReflection, indexDescriptorSet, splitDescriptorSet } from './reflection';

const set = descriptorSet();
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, set));
const SERVED = ['sparkwire.v1.ListenerService', 'sparkwire.v1.OffsetsService', 'grpc.health.v1.Health'];

let server: grpc.Server;
let address: string;

beforeAll(async () => {
  server = new grpc.Server();
  addReflection(server, set, SERVED);
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  address = `127.0.0.1:${port}`;
});
afterAll(() => server?.forceShutdown());

/** One reflection stream, one request, one response (decoded), for the given version. */
function ask(version: 'v1' | 'v1alpha', request: Record<string, unknown>): Promise<Record<string, any>> {
  const pkg = `grpc.reflection.${version}`;
  const req = registry.getMessage(`${pkg}.ServerReflectionRequest`)!;
  const res = registry.getMessage(`${pkg}.ServerReflectionResponse`)!;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      `/${pkg}.ServerReflection/ServerReflectionInfo`,
      (m: Message) => Buffer.from(toBinary(req, m)),
      (b: Buffer) => fromBinary(res, b),
    );
    call.on('data', (m: Record<string, any>) => {
      resolve(m);
      call.end();
    });
    call.on('error', reject);
    call.on('end', () => client.close());
    call.write(create(req, request as never));
  });
}

describe('the descriptor set', () => {
  it('is protoc\'s: canonical file names, map entries named as protoc names them, health included', () => {
    const files = splitDescriptorSet(set).map((b) => fromBinary(FileDescriptorProtoSchema, b));
    expect(files.map((f) => f.name).sort()).toEqual([
      'grpc/health/v1/health.proto',
      'grpc/reflection/v1/reflection.proto',
      'grpc/reflection/v1alpha/reflection.proto',
      'sparkwire/v1/events.proto',
      'sparkwire/v1/listener.proto',
      'sparkwire/v1/offsets.proto',
    ]);
    const events = files.find((f) => f.name === 'sparkwire/v1/events.proto')!;
    const sparkEvent = events.messageType.find((m) => m.name === 'SparkEvent')!;
    const entry = sparkEvent.nestedType.find((m) => m.name === 'LabelsEntry')!;
    expect(entry.options?.mapEntry).toBe(true);
    expect(sparkEvent.field.find((f) => f.name === 'labels')!.typeName).toBe('.sparkwire.v1.SparkEvent.LabelsEntry');
    // Source info (comments) is kept for describe.
    expect(events.sourceCodeInfo?.location.some((l) => l.leadingComments.includes('Client-generated'))).toBe(true);
  });

  it('indexes messages (map entries too), fields, enums and their values, services and methods', () => {
    const ix = indexDescriptorSet(set, SERVED);
    expect(ix.services).toEqual(['grpc.health.v1.Health', 'sparkwire.v1.ListenerService', 'sparkwire.v1.OffsetsService']);
    for (const s of ['sparkwire.v1.SparkEvent', 'sparkwire.v1.SparkEvent.LabelsEntry', 'sparkwire.v1.SparkEvent.labels', 'sparkwire.v1.SparkEvent.body', 'sparkwire.v1.ListenerService.Publish']) {
      expect(ix.symbols.has(s), s).toBe(true);
    }
    expect(ix.symbols.get('sparkwire.v1.SparkEvent.LabelsEntry')).toBe('sparkwire/v1/events.proto');
    expect(ix.symbols.get('sparkwire.v1.ListenerService.Publish')).toBe('sparkwire/v1/listener.proto');
    expect(ix.symbols.get('grpc.health.v1.HealthCheckResponse.SERVING')).toBe('grpc/health/v1/health.proto');
    expect(ix.closure('sparkwire/v1/listener.proto')).toEqual(['sparkwire/v1/listener.proto', 'sparkwire/v1/events.proto']);
  });
});

describe.each(['v1', 'v1alpha'] as const)('grpc.reflection.%s', (version) => {
  it('lists the served services and itself', async () => {
    const r = await ask(version, { host: '', messageRequest: { case: 'listServices', value: '*' } });
    expect(r.messageResponse.case).toBe('listServicesResponse');
    expect(r.messageResponse.value.service.map((s: { name: string }) => s.name)).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'sparkwire.v1.ListenerService',
      'sparkwire.v1.OffsetsService',
    ]);
  });

  it('answers a symbol with the file and its imports, byte for byte as protoc wrote them', async () => {
    const r = await ask(version, { host: 'h', messageRequest: { case: 'fileContainingSymbol', value: 'sparkwire.v1.ListenerService' } });
    expect(r.validHost).toBe('h');
    expect(r.messageResponse.case).toBe('fileDescriptorResponse');
    const served: Uint8Array[] = r.messageResponse.value.fileDescriptorProto;
    const byName = new Map(splitDescriptorSet(set).map((b) => [fromBinary(FileDescriptorProtoSchema, b).name, b]));
    expect(served.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)).toEqual(['sparkwire/v1/listener.proto', 'sparkwire/v1/events.proto']);
    expect(Buffer.from(served[0]).equals(Buffer.from(byName.get('sparkwire/v1/listener.proto')!))).toBe(true);
    const health = await ask(version, { host: '', messageRequest: { case: 'fileByFilename', value: 'grpc/health/v1/health.proto' } });
    expect(fromBinary(FileDescriptorProtoSchema, health.messageResponse.value.fileDescriptorProto[0]).service[0].name).toBe('Health');
  });

  it('says NOT_FOUND for what it does not know', async () => {
    for (const messageRequest of [
      { case: 'fileContainingSymbol', value: 'sparkwire.v1.Nope' },
      { case: 'fileByFilename', value: 'nope.proto' },
      { case: 'fileContainingExtension', value: { containingType: 'sparkwire.v1.SparkEvent', extensionNumber: 1000 } },
      { case: 'allExtensionNumbersOfType', value: 'sparkwire.v1.Nope' },
    ]) {
      const r = await ask(version, { host: '', messageRequest });
      expect(r.messageResponse, JSON.stringify(messageRequest)).toMatchObject({ case: 'errorResponse', value: { errorCode: grpc.status.NOT_FOUND } });
    }
    const none = await ask(version, { host: '', messageRequest: { case: 'allExtensionNumbersOfType', value: 'sparkwire.v1.SparkEvent' } });
    expect(none.messageResponse).toMatchObject({ case: 'allExtensionNumbersResponse', value: { baseTypeName: 'sparkwire.v1.SparkEvent', extensionNumber: [] } });
  });
});
