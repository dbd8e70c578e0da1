// The one small interface every Kafka client adapter of the comparison implements.
// Every adapter is the idempotent producer with acks=all; `maxInFlight` is both the
// number of send() calls the driver keeps open and, where the client has the setting,
// its own limit of produce requests in flight per connection.

export type Compression = 'none' | 'gzip' | 'lz4' | 'zstd';

export interface ProduceRecord {
  /** The sidecar's default record key: the application id. */
  key: Buffer;
  value: Buffer;
}

export interface AdapterOptions {
  bootstrap: string;
  clientId: string;
  maxInFlight: number;
  compression: Compression;
}

export interface ClientAdapter {
  connect(): Promise<void>;
  /** Produces the records (partition by key, the client's murmur2 partitioner); resolves when all are acked. */
  send(topic: string, records: ProduceRecord[]): Promise<void>;
  /** Waits for everything sent to be acked. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface ClientInfo {
  /** npm package (as installed) and its version. */
  pkg: string;
  version: string;
  /** Request limits in flight this client can run with idempotence on. */
  maxInFlight: number[];
  /** Codecs usable in this process, and how (built-in, pure JS, wasm, native). */
  compression: Partial<Record<Compression, string>>;
  note?: string;
}

export interface AdapterModule {
  /** undefined when the client's package is not installed (or cannot load in this runtime). */
  info(): Promise<ClientInfo | undefined>;
  create(opts: AdapterOptions): Promise<ClientAdapter>;
}
