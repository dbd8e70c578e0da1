// The run's one Kafka broker: test/global-setup.ts starts it once for every Spark line's project
// (vitest.config.ts) and provides its address; each line writes its own topics.
import { inject } from 'vitest';
import { SPARK, SPARK_VENV } from './harness';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
  }
}

/** The shared broker ("127.0.0.1:port"). */
export const broker = { bootstrap: inject('kafkaBootstrap') };

const lineTag = (SPARK ? `pyspark-${SPARK.sparkVersion}` : SPARK_VENV.split('/').at(-1)!).replace(/[^A-Za-z0-9._-]/g, '_');

/** A topic of this Spark line's project: the lines share the broker, never a topic. */
export const topic = (name: string): string => `${name}.${lineTag}`;
