// The setup the load-generator scenarios share: one temp directory and one real broker (3
// partitions for auto-created topics) per test file, started before its tests; afterwards
// every load generator and sidecar the file started is killed, the broker stopped and the
// directory removed. A test file calls it once at the top level:
//
//   const fi = brokerPerFile('abuse');
//   ... fi.broker.bootstrap, join(fi.dir, 'x'), fi.sidecars.push(s), fi.loadgens.push(lg)
//
// (In test/, not src/: test support, so it may use the package's devDependencies.)
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { cleanup, tempDir, type Loadgen, type Sidecar } from '../src/harness';

export interface BrokerPerFile {
  /** The broker (started in beforeAll). */
  readonly broker: Broker;
  /** The file's temp directory (broker data under kafka/; spools, ack files beside it). */
  readonly dir: string;
  /** Sidecars to SIGKILL at the end (stopping one already stopped is harmless). */
  readonly sidecars: Sidecar[];
  /** Load generators to SIGKILL at the end. */
  readonly loadgens: Loadgen[];
}

export function brokerPerFile(name: string): BrokerPerFile {
  let broker: Broker | undefined;
  let dir: string | undefined;
  const sidecars: Sidecar[] = [];
  const loadgens: Loadgen[] = [];
  beforeAll(async () => {
    dir = tempDir(name);
    broker = await startBroker({ dataDir: join(dir, 'kafka'), numPartitions: 3 });
  });
  afterAll(async () => {
    for (const l of loadgens) l.proc.kill('SIGKILL');
    for (const s of sidecars) await s.stop('SIGKILL');
    await broker?.stop();
    if (dir) cleanup(dir);
  });
  return {
    get broker(): Broker {
      if (!broker) throw new Error(`${name}: the broker is not started (use it inside a test or hook)`);
      return broker;
    },
    get dir(): string {
      if (!dir) throw new Error(`${name}: no temp directory yet (use it inside a test or hook)`);
      return dir;
    },
    sidecars,
    loadgens,
  };
}
