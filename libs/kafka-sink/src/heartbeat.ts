// Readiness that follows the broker while the sink is idle. Without it a produce request is
// the only thing that notices a broker that went away, so health said SERVING for as long as
// nothing was sent. Every healthProbeIntervalMs one Metadata request (no topics: the broker
// answers from memory) goes out on a client of its own with retries off, so a dead broker is
// noticed within about one interval instead of after kafkajs's retry schedule. One failed
// request is tried again after RECHECK_MS before the broker counts as gone (a dropped
// connection alone is no outage).
import { createKafkaClient, type KafkaAdmin, type KafkaLogger } from '@sparkwire/kafka-client';
import type { KafkaSinkConfig } from './config';

const RECHECK_MS = 500;

export class BrokerHeartbeat {
  private readonly admin?: KafkaAdmin;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly config: KafkaSinkConfig,
    log: KafkaLogger,
    /** The broker did not answer: the sink becomes not ready and starts reconnecting. */
    private readonly onLost: (err: Error) => void,
  ) {
    if ((config.healthProbeIntervalMs ?? 0) > 0) this.admin = createKafkaClient({ ...config, clientId: `${config.clientId}-health`, retries: 0 }, log).admin();
  }

  /**
   * One round trip now; throws when the broker does not answer. kafkajs's connect() returns at
   * once while it still holds a connection the broker has dropped, so the sink calls this
   * before it says it is ready again. No-op when the heartbeat is off.
   */
  async verify(): Promise<void> {
    if (!this.admin || this.closed) return;
    await this.admin.connect();
    await this.admin.brokerIds();
  }

  /** Checks every interval until two checks in a row fail (onLost) or close(); start() again once ready. */
  start(failed = false): void {
    const every = this.config.healthProbeIntervalMs ?? 0;
    if (!this.admin || this.closed || this.timer) return;
    this.timer = setTimeout(async () => {
      try {
        await this.verify();
      } catch (err) {
        this.timer = undefined;
        if (this.closed) return;
        if (failed) this.onLost(err as Error);
        else this.start(true);
        return;
      }
      this.timer = undefined;
      this.start();
    }, failed ? RECHECK_MS : every);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
