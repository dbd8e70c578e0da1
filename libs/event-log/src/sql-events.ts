// SQL executions (SparkListenerSQLExecutionStart / End, Jackson-serialized case classes).
import { long, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';
import { MAX_MESSAGE_CHARS, MAX_TEXT_CHARS, truncate } from './values';

export const SQL_START = 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart';
export const SQL_END = 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd';

export function sqlExecutionStart(s: MapperState, e: Json): MappedBody {
  const time = long(e.time);
  const root = e.rootExecutionId;
  return {
    timeMs: time > 0n ? time : s.now(),
    body: {
      $case: 'sqlExecutionStart',
      value: {
        executionId: long(e.executionId),
        description: truncate(e.description, MAX_TEXT_CHARS),
        details: truncate(e.details, MAX_TEXT_CHARS),
        rootExecutionId: root === undefined || root === null ? undefined : long(root),
      },
    },
  };
}

export function sqlExecutionEnd(s: MapperState, e: Json): MappedBody {
  const time = long(e.time);
  const err = e.errorMessage;
  return {
    timeMs: time > 0n ? time : s.now(),
    body: { $case: 'sqlExecutionEnd', value: { executionId: long(e.executionId), errorMessage: err === undefined || err === null ? '' : truncate(err, MAX_MESSAGE_CHARS) } },
  };
}
