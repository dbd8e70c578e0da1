// @sparkwire/testkit: what the test suites, the benchmarks and the quickstart share. Never
// imported by product code (libs/*/src and apps/*/src outside their tests).
export { spawnSidecar, SidecarProcess, SIDECAR_READY_MESSAGE, testStateDir, type SpawnSidecarOptions } from './sidecar';
export { healthClient, healthStatus, type HealthClient } from './health';
export { waitFor, sleep, type WaitOptions } from './wait';
export { freePort, holdPort, portIsFree } from './ports';
export { envWithout } from './env';
export { REPO_ROOT, SIDECAR_BIN } from './paths';
export { processCpuMs, processMemory, rssOf } from './proc-stats';
export { parsePromSamples, promValue } from './prom';
export { Rng, mulberry32 } from './prng';
export { readTopic, type ReadRecord } from './read-topic';
export * from './otlp-receiver';
export { MemorySink } from './memory-sink';
export { makeTestPki, type TestPki } from './test-pki';
export * from './raw-grpc';
export * from './frame-gen';
export { syntheticApplication, taskMetrics, zeroMetrics, batches, ISSUE_SPEC, type SyntheticAppSpec } from './synthetic-app';
export { ListenerClient, StreamSession, type ClientOptions } from './listener-client';
export { spoolTestOptions } from './spool-options';
export { MapEventIdWindow } from './map-event-id-window';
