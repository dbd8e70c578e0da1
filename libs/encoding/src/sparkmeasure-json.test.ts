import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectOperationPhase, ConnectSessionPhase, PublishRequest, SparkEvent } from '@sparkwire/proto';
import { syntheticApplication } from '@sparkwire/testkit';
import { jsonText, parseJson, protobufEncoder, sparkMeasureJsonEncoder, toSparkMeasureRecords } from './index';

const goldenDir = resolve(import.meta.dirname, '../../../proto/golden');

describe('golden vectors (proto/golden)', () => {
  const files = readdirSync(goldenDir).filter((f) => f.endsWith('.json'));
  it('cover every event body', () => {
    const cases = new Set(files.map((f) => JSON.parse(readFileSync(join(goldenDir, f), 'utf8')).event).map((e) => Object.keys(e).find((k) => !['eventId', 'appId', 'appName', 'appAttemptId', 'eventTimeMs', 'emittedTimeMs', 'labels'].includes(k))));
    expect([...cases].sort()).toEqual(
      ['applicationEnd', 'applicationStart', 'connectOperation', 'connectSession', 'executorAdded', 'executorRemoved', 'jobEnd', 'jobStart', 'observation', 'sqlExecutionEnd', 'sqlExecutionStart', 'stageCompleted', 'stageSubmitted', 'streamingProgress', 'streamingQueryStarted', 'streamingQueryTerminated', 'taskEnd', 'taskStart'].sort(),
    );
  });
  for (const f of files) {
    it(`${f}: event in gives exactly the records out`, () => {
      // parseJson: integers above 2^53 come back as exact bigints (JSON.parse would round them).
      const g = parseJson(readFileSync(join(goldenDir, f), 'utf8')) as { event: unknown; records: unknown[] };
      const ev = SparkEvent.fromJSON(g.event);
      expect(toSparkMeasureRecords(ev)).toEqual(g.records);
      // The wire form is compact JSON, one object per record.
      const lines = sparkMeasureJsonEncoder.encode(ev) as string[];
      expect(lines.map((l) => parseJson(l))).toEqual(g.records);
      expect(lines).toEqual(g.records.map((r) => jsonText(r)));
      for (const l of lines) expect(l).not.toContain('\n');
      // The protobuf form keeps every 64-bit value too.
      expect(SparkEvent.decode(SparkEvent.encode(ev).finish())).toEqual(ev);
    });
  }

  it('every field name has one JSON type across record names (but sparkMeasure\'s own stageId quirk)', () => {
    // sparkMeasure itself writes stageId as a string in stage records and as a number in task
    // records (KafkaSink vs KafkaSinkExtended); consumers rely on both. No other exception:
    // sparkwire's extra fields follow the type sparkMeasure gives the same name elsewhere.
    const EXCEPTIONS: Record<string, Record<string, string[]>> = {
      stageId: { string: ['stage_metrics', 'stages_ended', 'stages_started'], number: ['task_metrics', 'tasks_ended', 'tasks_started'] },
    };
    const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'bigint' ? 'number' : typeof v);
    const types = new Map<string, Map<string, Set<string>>>();
    for (const f of files) {
      const g = parseJson(readFileSync(join(goldenDir, f), 'utf8')) as { records: Record<string, unknown>[]; optional?: Record<string, Record<string, string>> };
      const note = (field: string, type: string, record: string) => {
        const byType = types.get(field) ?? new Map<string, Set<string>>();
        types.set(field, byType);
        byType.set(type, (byType.get(type) ?? new Set()).add(record));
      };
      for (const r of g.records) for (const [k, v] of Object.entries(r)) note(k.startsWith('appLabels.') ? 'appLabels.*' : k, jsonType(v), r.name as string);
      for (const [record, fields] of Object.entries(g.optional ?? {})) for (const [k, t] of Object.entries(fields)) note(k, t, record);
    }
    const mixed = Object.fromEntries(
      [...types].filter(([, byType]) => byType.size > 1).map(([field, byType]) => [field, Object.fromEntries([...byType].map(([t, recs]) => [t, [...recs].sort()]))]),
    );
    expect(mixed).toEqual(EXCEPTIONS);
  });

  it('labels are appLabels.<key> fields on both application records, and the labels object stays', () => {
    for (const f of ['01-applicationStart.json', '16-applicationEnd.json']) {
      const g = JSON.parse(readFileSync(join(goldenDir, f), 'utf8')) as { records: Record<string, unknown>[] };
      expect(g.records[0]['appLabels.team']).toBe('data-platform');
      expect(g.records[0].labels).toEqual({ team: 'data-platform' });
    }
  });

  it('one vector holds Spark longs above 2^53, and the records carry their exact digits', () => {
    const g = parseJson(readFileSync(join(goldenDir, '18-stageCompleted-large.json'), 'utf8')) as { event: unknown };
    const ev = SparkEvent.fromJSON(g.event);
    expect(ev.body?.$case === 'stageCompleted' && ev.body.value.metrics?.executorCpuTimeNs).toBe(14_400_000_000_000_001n);
    const metrics = (sparkMeasureJsonEncoder.encode(ev) as string[])[1];
    expect(metrics).toContain('"executorCpuTime":14400000000000001,');
    expect(metrics).toContain('"shuffleWriteTime":9223372036854775807,');
    expect(metrics).toContain('"executorRunTime":14400000000,');
  });

  it('a uint64 batch_seq has the same bytes as the Python and JVM clients give it, and decodes exactly', () => {
    const max = PublishRequest.encode({ clientId: 'c', batchSeq: 2n ** 64n - 1n, events: [], clientStats: undefined }).finish();
    expect(Buffer.from(max).toString('hex')).toBe('0a016310ffffffffffffffffff01'); // libs/python tests/test_golden.py, GoldenVectorsTest.java
    expect(PublishRequest.decode(max).batchSeq).toBe(2n ** 64n - 1n);
    const above = PublishRequest.encode({ clientId: 'c', batchSeq: 2n ** 53n + 1n, events: [], clientStats: undefined }).finish();
    expect(PublishRequest.decode(above).batchSeq).toBe(9007199254740993n);
  });
});

describe('exact JSON (jsonText, parseJson)', () => {
  it('writes bigints as JSON integers with their digits and otherwise matches JSON.stringify', () => {
    const v = { a: 1, b: -2.5, c: 'x"\n\u2028', d: true, e: null, f: [1, 'two', null, undefined], g: { h: {} }, u: undefined, n: NaN, z: -0 };
    expect(jsonText(v)).toBe(JSON.stringify(v));
    expect(jsonText({ big: 2n ** 63n - 1n, neg: -(2n ** 63n), small: 5n, list: [2n ** 64n - 1n] })).toBe('{"big":9223372036854775807,"neg":-9223372036854775808,"small":5,"list":[18446744073709551615]}');
  });
  it('parses integers outside the safe range as exact bigints, everything else as JSON.parse', () => {
    const text = '{"a":9007199254740991,"b":9007199254740992,"c":-9223372036854775808,"d":1.5e3,"e":"9007199254740993","f":[18446744073709551615, true, false, null],"g":{"h":"\\u00e9\\\\\\"\\n"}}';
    expect(parseJson(text)).toEqual({ a: 9007199254740991, b: 9007199254740992n, c: -9223372036854775808n, d: 1500, e: '9007199254740993', f: [18446744073709551615n, true, false, null], g: { h: 'é\\"\n' } });
    expect(parseJson(' [ ] ')).toEqual([]);
    expect(() => parseJson('{"a":1,}')).toThrow(SyntaxError);
    expect(() => parseJson('[1] 2')).toThrow(SyntaxError);
  });
});

// sparkMeasure's field names and JSON types, as its KafkaSink/KafkaSinkExtended/V2 sources
// (ch.cern.sparkmeasure, v0.28) write them, summarized in docs/kafka-records.md. Written out
// here, independent of the encoder.
const METRICS = 'executorRunTime executorCpuTime executorDeserializeCpuTime executorDeserializeTime jvmGCTime memoryBytesSpilled peakExecutionMemory resultSerializationTime resultSize bytesRead recordsRead bytesWritten recordsWritten shuffleTotalBytesRead shuffleRemoteBytesRead shuffleRemoteBytesReadToDisk shuffleLocalBytesRead shuffleTotalBlocksFetched shuffleLocalBlocksFetched shuffleRemoteBlocksFetched shuffleRecordsRead shuffleFetchWaitTime shuffleBytesWritten shuffleRecordsWritten shuffleWriteTime'.split(' ');
const num = 'number';
const str = 'string';
const bool = 'boolean';
const SPEC: Record<string, Record<string, string>> = {
  executors_started: { executorId: str, host: str, totalCores: num, startTime: num },
  stages_started: { stageId: str, attemptNumber: num, submissionTime: num },
  stages_ended: { stageId: str, attemptNumber: num, submissionTime: num, completionTime: num },
  stage_metrics: { stageId: str, attemptNumber: num, submissionTime: num, completionTime: num, failureReason: str, ...Object.fromEntries(METRICS.map((m) => [m, num])) },
  queries_started: { queryId: str, description: str, startTime: num },
  queries_ended: { queryId: str, endTime: num },
  jobs_started: { jobId: str, startTime: num },
  jobs_ended: { jobId: str, completionTime: num },
  applications_started: { appName: str, startTime: num },
  applications_ended: Object.fromEntries(
    'appName:s startTime completionTime duration executorsFailed executorsKilled totalJobsCompleted succeededJobsCount failedJobsCount numStagesCompleted numSucceededStages numFailedStages totalTaskCount numTaskFailed numTaskKilled'
      .split(' ')
      .map((f) => (f.endsWith(':s') ? [f.slice(0, -2), str] : [f, num])),
  ),
  tasks_started: { taskId: num, attemptNumber: num, stageId: num, launchTime: num },
  tasks_ended: { taskId: num, attemptNumber: num, stageId: num, launchTime: num, finishTime: num },
  task_metrics: {
    taskId: num, attemptNumber: num, stageId: num, launchTime: num, finishTime: num,
    failed: bool, speculative: bool, killed: bool, finished: bool, successful: bool,
    executorId: str, duration: num, host: str, taskLocality: num,
  },
};

describe('sparkMeasure field names and types', () => {
  const events = syntheticApplication({ appId: 'app-1', stagesPerJob: [2, 1], tasksPerStage: 3, executors: 2, sqlExecutions: 1, failedTasks: 1, streamingProgress: 1 });
  const records = events.flatMap((e) => toSparkMeasureRecords(e));

  for (const [name, fields] of Object.entries(SPEC)) {
    it(`${name} carries sparkMeasure's envelope and fields with its types`, () => {
      const mine = records.filter((r) => r.name === name);
      expect(mine.length).toBeGreaterThan(0);
      for (const r of mine) {
        expect(typeof r.appId).toBe(str);
        expect(typeof r.epochMillis).toBe(num);
        for (const [f, t] of Object.entries(fields)) {
          expect(typeof r[f], `${name}.${f}`).toBe(t);
        }
      }
    });
  }

  it('task_metrics carries the stage metrics minus shuffleRemoteBytesReadToDisk, only when Spark gave metrics', () => {
    const tm = records.filter((r) => r.name === 'task_metrics');
    const ok = tm.filter((r) => r.successful);
    const failed = tm.filter((r) => !r.successful);
    expect(failed).toHaveLength(1);
    for (const r of ok) {
      for (const m of METRICS.filter((x) => x !== 'shuffleRemoteBytesReadToDisk')) expect(typeof r[m], m).toBe(num);
      expect(r).not.toHaveProperty('shuffleRemoteBytesReadToDisk');
    }
    expect(failed[0]).not.toHaveProperty('executorRunTime');
    expect(failed[0].failed).toBe(true);
  });

  it('stage and task ends become two records each, other events one', () => {
    const stageEnds = events.filter((e) => e.body?.$case === 'stageCompleted').length;
    expect(records.filter((r) => r.name === 'stages_ended')).toHaveLength(stageEnds);
    expect(records.filter((r) => r.name === 'stage_metrics')).toHaveLength(stageEnds);
    const taskEnds = events.filter((e) => e.body?.$case === 'taskEnd').length;
    expect(records.filter((r) => r.name === 'task_metrics')).toHaveLength(taskEnds);
  });

  it('adds appName, labels and eventId to every record', () => {
    for (const r of records) {
      expect(r.eventId).toMatch(/^app-1-\d+$/);
      expect(typeof r.appName).toBe(str);
      expect(typeof r.labels).toBe('object');
    }
  });
});

describe('protobuf encoding', () => {
  it('round-trips a SparkEvent', () => {
    const ev = syntheticApplication({ appId: 'app-2', stagesPerJob: [1], tasksPerStage: 1, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0 })[4];
    const [bytes] = protobufEncoder.encode(ev) as Buffer[];
    expect(SparkEvent.decode(bytes)).toEqual(ev);
  });
});

describe('direct task JSON', () => {
  it('parses to exactly the object records, for every task event kind', () => {
    const events = syntheticApplication({ appId: 'app-"q"', stagesPerJob: [2], tasksPerStage: 30, executors: 3, sqlExecutions: 0, failedTasks: 2, streamingProgress: 0, labels: { 'te"am': 'a\nb' } });
    let n = 0;
    for (const ev of events) {
      const lines = sparkMeasureJsonEncoder.encode(ev) as string[];
      expect(lines.map((l) => parseJson(l))).toEqual(toSparkMeasureRecords(ev));
      if (ev.body?.$case === 'taskEnd' || ev.body?.$case === 'taskStart') n++;
    }
    expect(n).toBeGreaterThan(60);
  });

  it('keeps each event its own application fields when applications, attempts and labels alternate', () => {
    // task-json.ts keeps the last application's fields: every change must show.
    const task = syntheticApplication({ appId: 'app-x', stagesPerJob: [1], tasksPerStage: 1, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0 }).find((e) => e.body?.$case === 'taskEnd')!;
    const variants: Array<Partial<SparkEvent>> = [
      { appName: 'a', appAttemptId: '1', labels: { team: 'x' } },
      { appName: 'a', appAttemptId: '1', labels: { team: 'y' } },
      { appName: 'a', appAttemptId: '1', labels: { team: 'y', env: 'p' } },
      { appName: 'a', appAttemptId: '1', labels: { team: 'y' } },
      { appName: 'a', appAttemptId: '1', labels: {} },
      { appName: 'a', appAttemptId: '2', labels: {} },
      { appName: 'b', appAttemptId: '2', labels: {} },
      { appName: 'b', appAttemptId: '2', labels: { env: 'y' } },
      { appName: 'a', appAttemptId: '1', labels: { team: 'x' } },
    ];
    for (const [i, v] of variants.entries()) {
      const ev: SparkEvent = { ...task, ...v, eventId: `e${i}` };
      const lines = sparkMeasureJsonEncoder.encode(ev) as string[];
      expect(lines.map((l) => parseJson(l))).toEqual(toSparkMeasureRecords(ev));
      expect(parseJson(lines[1])).toMatchObject({ appName: v.appName, appAttemptId: v.appAttemptId, labels: v.labels, eventId: `e${i}` });
    }
  });

  it('writes task longs above 2^53 with their exact digits', () => {
    const events = syntheticApplication({ appId: 'app-big', stagesPerJob: [1], tasksPerStage: 1, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0 });
    const end = events.find((e) => e.body?.$case === 'taskEnd')!;
    if (end.body?.$case !== 'taskEnd') throw new Error('no task end');
    const big = 2n ** 63n - 1n;
    end.body.value.info!.taskId = 2n ** 53n + 1n;
    end.body.value.info!.launchTimeMs = 1n;
    end.body.value.info!.finishTimeMs = big;
    end.body.value.metrics!.executorCpuTimeNs = 2n ** 53n + 3n;
    const [ended, metrics] = sparkMeasureJsonEncoder.encode(end) as string[];
    expect(ended).toContain('"taskId":9007199254740993,');
    expect(metrics).toContain('"finishTime":9223372036854775807,');
    expect(metrics).toContain('"duration":9223372036854775806,');
    expect(metrics).toContain('"executorCpuTime":9007199254740995,');
    expect([ended, metrics].map((l) => parseJson(l))).toEqual(toSparkMeasureRecords(end));
  });
});

describe('Spark Connect operations and sessions', () => {
  const S = '8c9c97ba-2e27-4842-a75c-d01301b41547';
  const O = '6d86e80e-c792-4480-a342-22779000291f';
  const op = (phase: ConnectOperationPhase, extra: Partial<{ userName: string; statementText: string; jobTags: string[]; errorMessage: string; producedRowCount: bigint }> = {}) =>
    SparkEvent.fromPartial({
      eventId: `app-c-${phase}`,
      appId: 'app-c',
      eventTimeMs: 1_700_000_000_000n + BigInt(phase),
      emittedTimeMs: 1_700_000_000_100n,
      body: { $case: 'connectOperation', value: { phase, jobTag: `SparkConnect_OperationTag_User_bob_Session_${S}_Operation_${O}`, operationId: O, sessionId: S, userId: 'bob', ...extra } },
    });
  const P = ConnectOperationPhase;

  it('one connect_operations record per phase, with Spark\'s phase name, session, user and operation on every one', () => {
    const phases: [ConnectOperationPhase, string][] = [
      [P.CONNECT_OPERATION_PHASE_STARTED, 'Started'],
      [P.CONNECT_OPERATION_PHASE_ANALYZED, 'Analyzed'],
      [P.CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION, 'ReadyForExecution'],
      [P.CONNECT_OPERATION_PHASE_FINISHED, 'Finished'],
      [P.CONNECT_OPERATION_PHASE_FAILED, 'Failed'],
      [P.CONNECT_OPERATION_PHASE_CANCELED, 'Canceled'],
      [P.CONNECT_OPERATION_PHASE_CLOSED, 'Closed'],
    ];
    for (const [phase, name] of phases) {
      const [r, ...rest] = toSparkMeasureRecords(op(phase));
      expect(rest).toEqual([]);
      expect(r).toMatchObject({ name: 'connect_operations', appId: 'app-c', phase: name, connectOperationId: O, connectSessionId: S, connectUserId: 'bob', phaseTime: 1_700_000_000_000 + phase, epochMillis: 1_700_000_000_100 });
      expect(r.connectJobTag).toContain(`_Operation_${O}`);
    }
  });

  it('writes what Spark gives on one phase only on that phase', () => {
    const [started] = toSparkMeasureRecords(op(P.CONNECT_OPERATION_PHASE_STARTED, { userName: 'spark', statementText: 'SELECT 1', jobTags: ['nightly'] }));
    expect(started).toMatchObject({ connectUserName: 'spark', statementText: 'SELECT 1', jobTags: ['nightly'] });
    expect(started).not.toHaveProperty('errorMessage');
    expect(started).not.toHaveProperty('producedRowCount');
    // a started operation without client tags still says so: []
    expect(toSparkMeasureRecords(op(P.CONNECT_OPERATION_PHASE_STARTED))[0].jobTags).toEqual([]);

    const [failed] = toSparkMeasureRecords(op(P.CONNECT_OPERATION_PHASE_FAILED, { errorMessage: 'boom' }));
    expect(failed.errorMessage).toBe('boom');
    for (const k of ['connectUserName', 'statementText', 'jobTags', 'producedRowCount']) expect(failed).not.toHaveProperty(k);

    const [finished] = toSparkMeasureRecords(op(P.CONNECT_OPERATION_PHASE_FINISHED, { producedRowCount: 2n ** 53n + 1n }));
    expect(finished.producedRowCount).toBe(2n ** 53n + 1n);
    expect(sparkMeasureJsonEncoder.encode(op(P.CONNECT_OPERATION_PHASE_FINISHED, { producedRowCount: 2n ** 53n + 1n }))[0]).toContain('"producedRowCount":9007199254740993,');
    const [noCount] = toSparkMeasureRecords(op(P.CONNECT_OPERATION_PHASE_FINISHED));
    expect(noCount).not.toHaveProperty('producedRowCount');
    for (const k of ['connectUserName', 'statementText', 'jobTags', 'errorMessage']) expect(noCount).not.toHaveProperty(k);
  });

  it('an unknown phase (a newer client) still gives a record, with an empty phase', () => {
    expect(toSparkMeasureRecords(op(99 as ConnectOperationPhase))[0].phase).toBe('');
  });

  it('connect_sessions: started and closed', () => {
    const ev = (phase: ConnectSessionPhase) =>
      SparkEvent.fromPartial({ eventId: 'e', appId: 'app-c', eventTimeMs: 5n, emittedTimeMs: 6n, body: { $case: 'connectSession', value: { phase, sessionId: S, userId: 'alice' } } });
    expect(toSparkMeasureRecords(ev(ConnectSessionPhase.CONNECT_SESSION_PHASE_STARTED))).toEqual([
      { name: 'connect_sessions', appId: 'app-c', epochMillis: 6, phase: 'Started', connectSessionId: S, connectUserId: 'alice', phaseTime: 5, appName: '', appAttemptId: '', eventId: 'e', eventTimeMs: 5, labels: {} },
    ]);
    expect(toSparkMeasureRecords(ev(ConnectSessionPhase.CONNECT_SESSION_PHASE_CLOSED))[0].phase).toBe('Closed');
  });
});
