import { describe, expect, it } from 'vitest';
import { ARM_LABEL, ARMS, armsFlag, balancedRounds, DEFAULT_ARMS, parseArms, roundOrders, SPARKWIRE_LISTENER, verifyDisabled, type Arm, type ListenerProbe } from './arms';

describe('parseArms', () => {
  it('the default list is the four arms, without listener-disabled', () => {
    expect(DEFAULT_ARMS).toEqual(['none', 'sparkwire-extended', 'sparkwire-stage', 'sparkmeasure']);
    expect(parseArms(DEFAULT_ARMS.join(','))).toEqual(['none', 'sparkwire-extended', 'sparkwire-stage', 'sparkmeasure']);
    expect(parseArms(DEFAULT_ARMS.join(','))).not.toContain('listener-disabled');
  });

  it('listener-disabled when listed, in ARMS order, none added, each arm once', () => {
    expect(parseArms('none,listener-disabled,sparkwire-stage')).toEqual(['none', 'listener-disabled', 'sparkwire-stage']);
    expect(parseArms(' sparkwire-stage , listener-disabled,listener-disabled,')).toEqual(['none', 'listener-disabled', 'sparkwire-stage']);
    expect(parseArms('listener-disabled')).toEqual(['none', 'listener-disabled']);
    expect(parseArms(ARMS.join(','))).toEqual([...ARMS]);
  });

  it('rejects an unknown arm, naming every known one', () => {
    expect(() => parseArms('none,listener-disabld')).toThrow(/unknown arm listener-disabld: one of none, listener-disabled, sparkwire-extended/);
  });

  it('every arm has a label; the disabled arm says what it measures', () => {
    for (const a of ARMS) expect(ARM_LABEL[a]).toBeTruthy();
    expect(ARM_LABEL['listener-disabled']).toBe("sparkwire listener registered, disabled (Spark's listener-bus cost alone)");
  });
});

describe('armsFlag', () => {
  it('nothing for the default arms (in any order), the list otherwise', () => {
    expect(armsFlag(DEFAULT_ARMS)).toBe('');
    expect(armsFlag(['sparkmeasure', 'none', 'sparkwire-stage', 'sparkwire-extended'])).toBe('');
    expect(armsFlag(['none', 'sparkwire-stage', 'listener-disabled'])).toBe(' --arms none,listener-disabled,sparkwire-stage');
    expect(armsFlag([...DEFAULT_ARMS, 'listener-disabled'])).toBe(' --arms none,listener-disabled,sparkwire-extended,sparkwire-stage,sparkmeasure');
    expect(armsFlag(['none', 'sparkwire-stage'])).toBe(' --arms none,sparkwire-stage');
  });
});

describe('roundOrders', () => {
  const count = (orders: Arm[][], arms: readonly Arm[]) => {
    const pos = new Map<string, number>();
    const after = new Map<string, number>();
    for (const o of orders) {
      expect([...o].sort()).toEqual([...arms].sort());
      o.forEach((a, i) => pos.set(`${a}@${i}`, (pos.get(`${a}@${i}`) ?? 0) + 1));
      for (let i = 1; i < o.length; i++) after.set(`${o[i - 1]}>${o[i]}`, (after.get(`${o[i - 1]}>${o[i]}`) ?? 0) + 1);
    }
    return { pos, after };
  };

  it('balancedRounds: k for an even number of arms, 2k for an odd one', () => {
    expect(balancedRounds(4)).toBe(4);
    expect(balancedRounds(3)).toBe(6);
    expect(balancedRounds(5)).toBe(10);
    expect(balancedRounds(2)).toBe(2);
  });

  it('three arms over 6 rounds: every arm in every position twice and after every other arm twice', () => {
    const arms = parseArms('none,listener-disabled,sparkwire-stage');
    const { pos, after } = count(roundOrders(arms, 6, 'williams', 0), arms);
    expect([...pos.values()]).toEqual(new Array(9).fill(2));
    expect(after.size).toBe(6);
    expect([...after.values()]).toEqual(new Array(6).fill(2));
  });

  it('three arms over 3 rounds is not carry-over balanced', () => {
    const arms = parseArms('none,listener-disabled,sparkwire-stage');
    const { after } = count(roundOrders(arms, 3, 'williams', 0), arms);
    expect(after.size).toBe(3); // each arm follows only one of the other two
    expect(roundOrders(arms, 7, 'williams', 0)[6]).toEqual(roundOrders(arms, 1, 'williams', 0)[0]); // the 6 rows cycle
  });

  it('the default four arms: the same orders as before listener-disabled existed', () => {
    const orders = roundOrders(DEFAULT_ARMS, 5, 'williams', 0);
    expect(orders.slice(0, 4)).toEqual([
      ['none', 'sparkwire-extended', 'sparkmeasure', 'sparkwire-stage'],
      ['sparkwire-extended', 'sparkwire-stage', 'none', 'sparkmeasure'],
      ['sparkwire-stage', 'sparkmeasure', 'sparkwire-extended', 'none'],
      ['sparkmeasure', 'none', 'sparkwire-stage', 'sparkwire-extended'],
    ]);
    expect(orders[4]).toEqual(orders[0]);
  });

  it('five arms over 10 rounds are balanced', () => {
    const { pos, after } = count(roundOrders(ARMS, 10, 'williams', 0), ARMS);
    expect([...pos.values()]).toEqual(new Array(25).fill(2));
    expect([...after.values()]).toEqual(new Array(20).fill(2));
  });

  it('random: seeded permutations, reproducible', () => {
    const arms = parseArms('none,listener-disabled,sparkwire-stage');
    const a = roundOrders(arms, 8, 'random', 42);
    expect(roundOrders(arms, 8, 'random', 42)).toEqual(a);
    for (const o of a) expect([...o].sort()).toEqual([...arms].sort());
  });
});

describe('verifyDisabled', () => {
  const good: ListenerProbe = {
    listeners: ['org.apache.spark.status.AppStatusListener', SPARKWIRE_LISTENER, 'org.apache.spark.sql.execution.ui.SQLAppStatusListener'],
    sparkwire_clients: [false],
    enabled_conf: 'false',
    extra_listeners: SPARKWIRE_LISTENER,
  };
  const tasks = 50_000;

  it('passes: one listener, no client, enabled=false, the events delivered, no client log lines', () => {
    const v = verifyDisabled(good, 'WARN NativeCodeLoader: Unable to load native-hadoop library\n', 150_123, tasks);
    expect(v.ok).toBe(true);
    expect(v.summary).toMatch(/registered and disabled: 1 io\.sparkwire\.spark\.SparkwireListener on the bus with no client.*150,123 events/);
  });

  it('fails when the listener was not registered', () => {
    const v = verifyDisabled({ ...good, listeners: ['org.apache.spark.status.AppStatusListener'], sparkwire_clients: [], extra_listeners: null }, '', undefined, tasks);
    expect(v.ok).toBe(false);
    expect(v.summary).toMatch(/0 io\.sparkwire\.spark\.SparkwireListener on the listener bus, expected 1/);
    expect(v.summary).toMatch(/spark\.extraListeners is null/);
    expect(v.summary).toMatch(/no listenerProcessingTime timer/);
  });

  it('fails when the listener is enabled (a client, the setting, the delivery line)', () => {
    expect(verifyDisabled({ ...good, sparkwire_clients: [true] }, '', 150_000, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/has a client/) });
    expect(verifyDisabled({ ...good, enabled_conf: null }, '', 150_000, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/spark\.sparkwire\.enabled is null, expected "false"/) });
    const closed = '26/01/01 INFO SparkwireClient: sparkwire: client abc closed: 10 events acknowledged, 0 dropped (buffer full), 0 dropped (sidecar unavailable)';
    expect(verifyDisabled(good, closed, 150_000, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/client ran/) });
  });

  it('fails when the client is null for another reason than the setting', () => {
    expect(verifyDisabled(good, 'ERROR ClientRegistry: sparkwire: this listener jar (x) is built for Spark 3.5.x', 150_000, tasks).ok).toBe(false);
    expect(verifyDisabled(good, 'WARN SparkwireListener: sparkwire: listener disabled, could not start: boom', 150_000, tasks).ok).toBe(false);
  });

  it('fails when Spark delivered fewer events than two per measured task, or twice registered, or no probe', () => {
    expect(verifyDisabled(good, '', 2 * tasks - 1, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/fewer than the 100000 task start\/end events/) });
    expect(verifyDisabled(good, '', 2 * tasks, tasks).ok).toBe(true);
    expect(verifyDisabled({ ...good, listeners: [SPARKWIRE_LISTENER, SPARKWIRE_LISTENER], sparkwire_clients: [false, false] }, '', 150_000, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/2 io\.sparkwire/) });
    expect(verifyDisabled({ ...good, sparkwire_clients: [] }, '', 150_000, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/client state read for 0 of 1/) });
    expect(verifyDisabled(undefined, '', 150_000, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/no listener probe/) });
    expect(verifyDisabled({ error: 'Py4JError: boom' }, '', 150_000, tasks)).toMatchObject({ ok: false, summary: expect.stringMatching(/listener probe failed: Py4JError: boom/) });
  });
});
