// A Node client for ListenerService, used by the quickstart replay, the benchmark's load
// generator and the integration tests. Stream acks are matched to batches by batch_seq.
import * as grpc from '@grpc/grpc-js';
import { ListenerServiceClient, type PublishAck, type PublishRequest, type PublishResponse } from '@sparkwire/proto';

export interface ClientOptions {
  token?: string;
}

export class ListenerClient {
  readonly raw: ListenerServiceClient;

  constructor(
    address: string,
    private readonly options: ClientOptions = {},
  ) {
    this.raw = new ListenerServiceClient(address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.options.token) md.set('authorization', `Bearer ${this.options.token}`);
    return md;
  }

  publish(req: PublishRequest): Promise<PublishResponse> {
    return new Promise((resolve, reject) => this.raw.publish(req, this.metadata(), (err, res) => (err ? reject(err) : resolve(res!))));
  }

  openStream(): StreamSession {
    return new StreamSession(this.raw.stream(this.metadata()));
  }

  close(): void {
    this.raw.close();
  }
}

export class StreamSession {
  private readonly waiting = new Map<bigint, { resolve: (a: PublishAck) => void; reject: (e: Error) => void }>();
  private ended?: Promise<void>;
  private failure?: Error;

  constructor(private readonly call: grpc.ClientDuplexStream<PublishRequest, PublishAck>) {
    call.on('data', (ack: PublishAck) => {
      const w = this.waiting.get(ack.batchSeq);
      this.waiting.delete(ack.batchSeq);
      w?.resolve(ack);
    });
    this.ended = new Promise((resolve) => {
      const fail = (err: Error) => {
        this.failure = err;
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        resolve();
      };
      call.on('error', fail);
      call.on('end', () => fail(new Error('stream ended')));
    });
  }

  /** Sends one batch; resolves with its ack. Honours flow control by waiting for drain. */
  async send(req: PublishRequest): Promise<PublishAck> {
    if (this.failure) throw this.failure;
    const ack = new Promise<PublishAck>((resolve, reject) => this.waiting.set(req.batchSeq, { resolve, reject }));
    // The ack may fail while we wait for drain; the caller sees it through the return value.
    ack.catch(() => undefined);
    if (!this.call.write(req)) await Promise.race([new Promise<void>((r) => this.call.once('drain', () => r())), this.ended]);
    return ack;
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Half-closes and waits for the server to finish the stream. */
  async end(): Promise<void> {
    this.call.end();
    await this.ended;
  }

  cancel(): void {
    this.call.cancel();
  }
}
