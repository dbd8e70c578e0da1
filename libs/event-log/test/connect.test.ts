// Spark Connect attribution of a replayed job: the same parse of spark.job.tags as the listener's.
import { describe, expect, it } from 'vitest';
import { connectContext } from '../src/mapper';

const S = '8c9c97ba-2e27-4842-a75c-d01301b41547';
const O = '6d86e80e-c792-4480-a342-22779000291f';

describe('connectContext', () => {
  it('reads session, operation, user and the client tags from the Connect server tags', () => {
    const tags = [
      'spark-session-6876b203-execution-root-id-0',
      `SparkConnect_SessionTag_User_data_eng_Session_${S}_Tag_nightly`,
      `SparkConnect_OperationTag_User_data_eng_Session_${S}_Operation_${O}`,
      `SparkConnect_SessionTag_User_other_Session_${S}_Tag_notmine`,
      `SparkConnect_SessionTag_User_data_eng_Session_${S}_Tag_team_a`,
    ].join(',');
    expect(connectContext(tags)).toEqual({ userId: 'data_eng', sessionId: S, operationId: O, jobTags: ['nightly', 'team_a'] });
  });

  it('is absent outside Connect', () => {
    expect(connectContext(undefined)).toBeUndefined();
    expect(connectContext('spark-session-1,my-tag')).toBeUndefined();
  });
});
