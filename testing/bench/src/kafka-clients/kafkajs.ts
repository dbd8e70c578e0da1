// kafkajs 2.2.4 (the sidecar's client today). gzip is built in; lz4 and zstd are given
// as codecs here (lz4js, node:zlib zstd), the way a kafkajs user has to.
import { createRequire } from 'node:module';
import type { CompressionTypes as CompressionTypesT, Producer } from 'kafkajs';
import { lz4js, packageVersion, zlibZstd } from './codecs';
import type { AdapterModule, AdapterOptions, ClientAdapter, ClientInfo, Compression } from './types';

const require = createRequire(import.meta.url);
// kafkajs is CommonJS: its runtime values through require (named ESM imports of it fail).
const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const TYPES: Record<Compression, CompressionTypesT> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

function registerCodecs(): Partial<Record<Compression, string>> {
  const out: Partial<Record<Compression, string>> = { none: 'none', gzip: 'built in (node:zlib)' };
  const lz4 = lz4js();
  if (lz4) {
    CompressionCodecs[CompressionTypes.LZ4] = () => ({
      compress: async (encoder: { buffer: Buffer }) => lz4.compress(encoder.buffer),
      decompress: async (buffer: Buffer) => lz4.decompress(buffer),
    });
    out.lz4 = 'codec registered by the user: lz4js (pure JS, frame flag patched)';
  }
  const zstd = zlibZstd();
  if (zstd) {
    CompressionCodecs[CompressionTypes.ZSTD] = () => ({
      compress: async (encoder: { buffer: Buffer }) => zstd.compress(encoder.buffer),
      decompress: async (buffer: Buffer) => zstd.decompress(buffer),
    });
    out.zstd = 'codec registered by the user: node:zlib zstd';
  }
  return out;
}

class KafkajsAdapter implements ClientAdapter {
  private readonly producer: Producer;
  constructor(private readonly o: AdapterOptions) {
    const kafka = new Kafka({ clientId: o.clientId, brokers: [o.bootstrap], logLevel: logLevel.NOTHING });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: o.maxInFlight, allowAutoTopicCreation: false });
  }
  connect(): Promise<void> {
    return this.producer.connect();
  }
  async send(topic: string, records: { key: Buffer; value: Buffer }[]): Promise<void> {
    await this.producer.send({ topic, acks: -1, compression: TYPES[this.o.compression], messages: records });
  }
  async flush(): Promise<void> {}
  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

export const adapter: AdapterModule = {
  async info(): Promise<ClientInfo> {
    const version = packageVersion('kafkajs') ?? '?';
    return { pkg: 'kafkajs', version, maxInFlight: [1, 5], compression: registerCodecs() };
  },
  async create(o) {
    registerCodecs();
    return new KafkajsAdapter(o);
  },
};
