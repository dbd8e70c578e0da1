// librdkafka through @confluentinc/kafka-javascript (Confluent's client; librdkafka's own
// batching, linger and pipelining; codecs native). Used through its promise API (the
// KafkaJS-compatible one). Not a dependency of the repository: it is a native addon whose
// install step builds librdkafka (docs/benchmarks.md, "Kafka client comparison", says how);
// point SPARKWIRE_RDKAFKA_MODULE (or _NODE<major>) at a built copy's package directory, or install it.
import { createRequire } from 'node:module';
import type { AdapterModule, AdapterOptions, ClientAdapter, ClientInfo } from './types';

const require = createRequire(import.meta.url);

interface KafkaJSProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(r: { topic: string; messages: Array<{ key: Buffer; value: Buffer }> }): Promise<unknown>;
  flush(o?: { timeout?: number }): Promise<void>;
}
interface ConfluentModule {
  librdkafkaVersion: string;
  features: string[];
  KafkaJS: {
    Kafka: new (c: Record<string, unknown>) => { producer(c: Record<string, unknown>): KafkaJSProducer };
    logLevel: { NOTHING: number };
  };
}

// A native addon is built for one Node ABI: SPARKWIRE_RDKAFKA_MODULE_NODE24 (etc.) before SPARKWIRE_RDKAFKA_MODULE.
export const PKG = process.env[`SPARKWIRE_RDKAFKA_MODULE_NODE${process.versions.node.split('.')[0]}`] || process.env.SPARKWIRE_RDKAFKA_MODULE || '@confluentinc/kafka-javascript';

function load(): ConfluentModule {
  return require(PKG) as ConfluentModule;
}

class ConfluentAdapter implements ClientAdapter {
  private readonly producer: KafkaJSProducer;
  constructor(mod: ConfluentModule, o: AdapterOptions) {
    const kafka = new mod.KafkaJS.Kafka({ kafkaJS: { clientId: o.clientId, brokers: [o.bootstrap], logLevel: mod.KafkaJS.logLevel.NOTHING } });
    this.producer = kafka.producer({
      kafkaJS: { idempotent: true, acks: -1, maxInFlightRequests: o.maxInFlight, allowAutoTopicCreation: false },
      'compression.type': o.compression,
      // librdkafka's default (5 ms), said explicitly: batches per partition wait this long.
      'linger.ms': 5,
    });
  }
  connect(): Promise<void> {
    return this.producer.connect();
  }
  async send(topic: string, records: { key: Buffer; value: Buffer }[]): Promise<void> {
    await this.producer.send({ topic, messages: records });
  }
  flush(): Promise<void> {
    return this.producer.flush({ timeout: 60_000 });
  }
  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

export const adapter: AdapterModule = {
  async info(): Promise<ClientInfo | undefined> {
    let mod: ConfluentModule;
    let version: string;
    try {
      mod = load();
      version = (require(`${PKG}/package.json`) as { version: string }).version; // a CommonJS package: no exports map
    } catch (err) {
      const msg = (err as Error).message;
      return msg.includes('Cannot find module') ? undefined : { pkg: '@confluentinc/kafka-javascript', version: '?', maxInFlight: [], compression: {}, note: `does not load: ${msg.split('\n')[0]}` };
    }
    const f = new Set(mod.features);
    const native = (c: string) => (f.has(c) ? { [c]: `native (librdkafka ${mod.librdkafkaVersion})` } : {});
    return {
      pkg: '@confluentinc/kafka-javascript',
      version,
      maxInFlight: [1, 5],
      compression: { none: 'none', ...native('gzip'), ...native('lz4'), ...native('zstd') },
      note: `librdkafka ${mod.librdkafkaVersion}`,
    };
  },
  async create(o) {
    return new ConfluentAdapter(load(), o);
  },
};
