export { syntheticApplication, taskMetrics, zeroMetrics, batches, ISSUE_SPEC, type SyntheticAppSpec } from './synthetic-app';
