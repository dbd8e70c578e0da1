import { afterEach, describe, expect, it } from 'vitest';
import { dropKafkajsTimeoutWarning } from './kafkajs-timeout-warning';

describe('kafkajs negative-timestamp timer warning', () => {
  const seen: string[] = [];
  const onWarning = (w: Error) => seen.push(`${w.name}: ${w.message}`);
  afterEach(() => {
    process.off('warning', onWarning);
    seen.length = 0;
  });

  it('drops only the warning kafkajs causes; other warnings, and small negative delays, still arrive', async () => {
    dropKafkajsTimeoutWarning();
    dropKafkajsTimeoutWarning(); // idempotent: one wrapper
    process.on('warning', onWarning);
    // What Node 23+ emits for kafkajs's setTimeout(fn, <minus a timestamp>), word for word.
    process.emitWarning('-1796148094352 is a negative number.\nTimeout duration was set to 1.', 'TimeoutNegativeWarning');
    process.emitWarning('-5 is a negative number.\nTimeout duration was set to 1.', 'TimeoutNegativeWarning');
    process.emitWarning('something else', { type: 'SparkwireTestWarning' });
    const e = new Error('-1796148094352 is a negative number.');
    e.name = 'OtherWarning';
    process.emitWarning(e);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(seen).toEqual([
      'TimeoutNegativeWarning: -5 is a negative number.\nTimeout duration was set to 1.',
      'SparkwireTestWarning: something else',
      'OtherWarning: -1796148094352 is a negative number.',
    ]);
  });
});
