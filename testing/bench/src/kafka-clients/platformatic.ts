// @platformatic/kafka: pure TypeScript. 1.x runs on Node 20.19+; 2.x needs Node 22.22+/24.6+
// (installed side by side as the alias @platformatic/kafka-2). gzip through node:zlib, lz4
// and snappy through its wasm module (@platformatic/wasm-utils), zstd through node:zlib
// where the runtime has it. With idempotence on it forces maxInflights = 1 and takes a
// partition's sequence number when the previous request's response came back, so only one
// send() may be open at a time (two would reuse a sequence number).
import { packageVersion, zlibZstd } from './codecs';
import type { AdapterModule, AdapterOptions, ClientAdapter, ClientInfo } from './types';

interface PlatformaticProducer {
  send(o: { messages: Array<{ topic: string; key: Buffer; value: Buffer }> }): Promise<unknown>;
  close(force?: boolean): Promise<void>;
  metadata(o: { topics: string[] }): Promise<unknown>;
}
interface PlatformaticModule {
  Producer: new (o: Record<string, unknown>) => PlatformaticProducer;
  compatibilityPartitioner?: unknown;
}

class PlatformaticAdapter implements ClientAdapter {
  private producer!: PlatformaticProducer;
  constructor(
    private readonly mod: PlatformaticModule,
    private readonly o: AdapterOptions,
  ) {}
  async connect(): Promise<void> {
    if (this.o.maxInFlight !== 1) throw new Error('@platformatic/kafka: the idempotent producer allows one request in flight');
    this.producer = new this.mod.Producer({
      clientId: this.o.clientId,
      bootstrapBrokers: [this.o.bootstrap],
      idempotent: true,
      acks: -1,
      compression: this.o.compression,
      autocreateTopics: false,
      // Java's (and kafkajs') murmur2 partitioner: the default one maps keys differently.
      partitioner: this.mod.compatibilityPartitioner,
    });
  }
  async send(topic: string, records: { key: Buffer; value: Buffer }[]): Promise<void> {
    const messages = new Array(records.length);
    for (let i = 0; i < records.length; i++) messages[i] = { topic, key: records[i].key, value: records[i].value };
    await this.producer.send({ messages });
  }
  async flush(): Promise<void> {}
  close(): Promise<void> {
    return this.producer.close();
  }
}

function platformatic(pkg: string): AdapterModule {
  return {
    async info(): Promise<ClientInfo | undefined> {
      const version = packageVersion(pkg);
      if (!version) return undefined;
      try {
        await import(pkg);
      } catch (err) {
        return { pkg, version, maxInFlight: [], compression: {}, note: `does not load on Node ${process.versions.node}: ${(err as Error).message.split('\n')[0]}` };
      }
      return {
        pkg: pkg === '@platformatic/kafka-2' ? '@platformatic/kafka (2.x)' : '@platformatic/kafka',
        version,
        maxInFlight: [1],
        compression: {
          none: 'none',
          gzip: 'built in (node:zlib)',
          lz4: 'built in (wasm, @platformatic/wasm-utils)',
          ...(zlibZstd() ? { zstd: 'built in (node:zlib zstd)' } : {}),
        },
      };
    },
    async create(o) {
      const mod = (await import(pkg)) as PlatformaticModule;
      return new PlatformaticAdapter(mod, o);
    },
  };
}

export const adapter = platformatic('@platformatic/kafka');
export const adapter2 = platformatic('@platformatic/kafka-2');
