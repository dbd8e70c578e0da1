// Smoke test of the client comparison: every installed client adapter produces a few
// thousand of the sidecar's records to a fresh topic on a real broker (acks=all, idempotent),
// and the topic must then hold exactly that many: an adapter that loses (or duplicates)
// records fails here. @platformatic/kafka 2.x runs on tools/node-lts.sh's Node 24 when it is
// installed (it needs Node 22+); @confluentinc/kafka-javascript only when it is installed
// (SPARKWIRE_RDKAFKA_MODULE or node_modules): it is not a dependency of the repository.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { CLIENT_NAMES } from './adapters';
import { plan, probe, runOne, runtimes, type Config } from './compare';

const RECORDS = 3_000;

let broker: Broker;
let configs: Config[] = [];

beforeAll(async () => {
  const rts = runtimes();
  const [b, infos] = await Promise.all([startBroker(), probe(rts)]);
  broker = b;
  configs = plan(rts, infos, CLIENT_NAMES, ['none'], [1]).configs;
  process.stderr.write(`kafka-clients smoke: ${configs.map((c) => `${c.client} on ${c.runtime.version}`).join(', ')}\n`);
}, 120_000);

afterAll(async () => {
  await broker?.stop();
});

describe('Kafka client adapters (compare.ts)', () => {
  it('finds at least kafkajs and @platformatic/kafka installed', () => {
    const names = configs.map((c) => c.client);
    expect(names).toContain('kafkajs');
    expect(names).toContain('platformatic');
  });

  it('every installed adapter puts exactly N records in the topic', async () => {
    for (const c of configs) {
      const o = await runOne(broker.bootstrap, c, RECORDS, 500, 1);
      expect({ client: c.client, node: c.runtime.version, error: o.error, inTopic: o.inTopic }).toEqual({ client: c.client, node: c.runtime.version, error: undefined, inTopic: RECORDS });
      expect(o.ok).toBe(true);
    }
  }, 120_000);
});
