// The adapters by name (imported lazily: a client that is not installed costs nothing).
import type { AdapterModule } from './types';

export const ADAPTERS: Record<string, () => Promise<AdapterModule>> = {
  kafkajs: async () => (await import('./kafkajs')).adapter,
  platformatic: async () => (await import('./platformatic')).adapter,
  platformatic2: async () => (await import('./platformatic')).adapter2,
  confluent: async () => (await import('./confluent')).adapter,
};

export const CLIENT_NAMES = Object.keys(ADAPTERS);
