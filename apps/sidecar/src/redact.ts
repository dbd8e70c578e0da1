import { SECRET_PATHS, type SparkwireConfig } from '@sparkwire/sdk';

/** A copy of the configuration safe to print or log: secrets replaced. */
export function redacted(config: SparkwireConfig): unknown {
  const copy = structuredClone(config) as Record<string, any>;
  for (const path of SECRET_PATHS) {
    const [a, b] = path.split('.');
    if (copy[a]?.[b] !== undefined) copy[a][b] = '[redacted]';
  }
  return copy;
}
