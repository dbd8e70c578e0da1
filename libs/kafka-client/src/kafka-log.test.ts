import { describe, expect, it } from 'vitest';
import { logLevel, type LogEntry } from 'kafkajs';
import { kafkajsLogLevel } from './kafka-log';

const entry = (level: logLevel, namespace: string, log: Record<string, unknown>): LogEntry => ({ namespace, level, label: '', log: { timestamp: '', logger: 'kafkajs', message: '', ...log } as LogEntry['log'] });

describe('kafkajs log levels', () => {
  it('retriable answers of a starting cluster and the bounded-retries notice are debug', () => {
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Connection', { message: 'Response InitProducerId(key: 22, version: 1)', error: "The coordinator is loading and hence can't process requests for this group" }))).toBe('debug');
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Connection', { message: 'Response FindCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available' }))).toBe('debug');
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Connection', { message: 'Response Metadata(key: 3, version: 6)', error: 'There is no leader for this topic-partition as we are in the middle of a leadership election' }))).toBe('debug');
    expect(kafkajsLogLevel(entry(logLevel.WARN, 'Producer', { message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' }))).toBe('debug');
  });

  it('everything else keeps its level (or the given one)', () => {
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Connection', { message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' }))).toBe('error');
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Connection', { message: 'Response Produce(key: 0, version: 7)', error: 'The request included a message larger than the max message size the server will accept' }))).toBe('error');
    expect(kafkajsLogLevel(entry(logLevel.WARN, 'Producer', { message: 'something else' }))).toBe('warn');
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Connection', { message: 'Connection error' }), 'warn')).toBe('warn');
    // The same error text outside a response log line is not treated as benign.
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Consumer', { message: 'Crash', error: "The coordinator is loading and hence can't process requests for this group" }))).toBe('error');
  });
});
