// Step 4: which topic and key each encoded record goes to.
import type { SparkEvent } from '@sparkwire/proto';
import type { Encoder } from '@sparkwire/encoding';
import type { OutRecord } from './sink';
import { isTaskEvent } from './validate';

export interface RouteConfig {
  topic: string;
  /** Task events go here when set, so O(tasks) traffic can have its own retention. */
  tasksTopic?: string;
  /** appId keeps one application's events in order in one partition. */
  key: 'appId' | 'none';
}

export class Router {
  constructor(
    private readonly config: RouteConfig,
    private readonly encoder: Encoder,
  ) {}

  /** Appends the records of one event to `out`. */
  route(ev: SparkEvent, out: OutRecord[], raw?: Uint8Array): void {
    const topic = this.config.tasksTopic && isTaskEvent(ev) ? this.config.tasksTopic : this.config.topic;
    const key = this.config.key === 'appId' ? ev.appId : null;
    for (const value of this.encoder.encode(ev, raw)) out.push({ topic, key, value });
  }
}
