// SparkListenerJobStart / End: the stage -> job links (for stages, which the log does not
// tie to their job), the SQL execution and the Spark Connect context from the job's properties.
import { JobResult, type ConnectContext } from '@sparkwire/proto';
import { int, long, str, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';
import { MAX_MESSAGE_CHARS, MAX_TEXT_CHARS, toMap, truncate } from './values';

export function jobStart(s: MapperState, e: Json): MappedBody {
  const jobId = int(e['Job ID']);
  const stageIds: number[] = Array.isArray(e['Stage IDs']) ? e['Stage IDs'].map(int) : [];
  s.jobStages.set(jobId, stageIds);
  for (const st of stageIds) s.stageToJob.set(st, jobId);
  const p = toMap(e.Properties);
  const sqlId = p['spark.sql.execution.id'];
  return {
    timeMs: long(e['Submission Time']),
    body: {
      $case: 'jobStart',
      value: {
        jobId,
        stageIds,
        sqlExecutionId: sqlId !== undefined && /^\s*-?\d+\s*$/.test(sqlId) ? BigInt(sqlId.trim()) : undefined,
        jobGroup: p['spark.jobGroup.id'] ?? '',
        description: truncate(p['spark.job.description'], MAX_TEXT_CHARS),
        connect: s.rememberConnect(jobId, connectContext(p['spark.job.tags'])),
      },
    },
  };
}

export function jobEnd(s: MapperState, e: Json): MappedBody {
  const t = s.totals;
  const jobId = int(e['Job ID']);
  const r = e['Job Result'] ?? {};
  const ok = str(r.Result) === 'JobSucceeded';
  t.jobsCompleted++;
  if (ok) t.jobsSucceeded++;
  else t.jobsFailed++;
  const stages = s.jobStages.get(jobId);
  s.jobStages.delete(jobId);
  for (const st of stages ?? []) if (s.stageToJob.get(st) === jobId) s.stageToJob.delete(st);
  let failureReason = '';
  if (!ok) {
    const msg = r.Exception?.Message;
    failureReason = truncate(msg === null || msg === undefined || msg === '' ? 'java.lang.Exception' : msg, MAX_MESSAGE_CHARS);
  }
  return {
    timeMs: long(e['Completion Time']),
    body: { $case: 'jobEnd', value: { jobId, result: ok ? JobResult.JOB_RESULT_SUCCEEDED : JobResult.JOB_RESULT_FAILED, failureReason, connect: s.takeConnect(jobId) } },
  };
}

/**
 * A job's Spark Connect context from its spark.job.tags (the listener's ConnectContexts):
 * SparkConnect_OperationTag_User_<u>_Session_<s>_Operation_<o>, and the client's own tags
 * SparkConnect_SessionTag_User_<u>_Session_<s>_Tag_<tag> as the client set them.
 */
export function connectContext(raw: string | undefined): ConnectContext | undefined {
  if (!raw) return undefined;
  const tags = raw.split(',').map((t) => t.trim());
  let c: ConnectContext | undefined;
  for (const t of tags) {
    const m = /^SparkConnect_OperationTag_User_(.*)_Session_([0-9A-Za-z-]+)_Operation_([0-9A-Za-z-]+)$/s.exec(t);
    if (m) {
      c = { userId: m[1], sessionId: m[2], operationId: m[3], jobTags: [] };
      break;
    }
  }
  if (!c) return undefined;
  const prefix = `SparkConnect_SessionTag_User_${c.userId}_Session_${c.sessionId}_Tag_`;
  for (const t of tags) {
    if (t.startsWith(prefix) && t.length > prefix.length && c.jobTags.length < 32) c.jobTags.push(truncate(t.slice(prefix.length), 256));
  }
  return c;
}
