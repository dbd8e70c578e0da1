// SparkListenerExecutorAdded / Removed. A removal counts as killed or failed in the
// ApplicationEnd totals by its reason, as the listener counts it.
import { int, long, str, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';
import { MAX_MESSAGE_CHARS, truncate } from './values';

export function executorAdded(_s: MapperState, e: Json): MappedBody {
  const info = e['Executor Info'];
  return {
    timeMs: long(e.Timestamp),
    body: { $case: 'executorAdded', value: { executorId: str(e['Executor ID']), host: info ? str(info.Host) : '', totalCores: info ? int(info['Total Cores']) : 0 } },
  };
}

export function executorRemoved(s: MapperState, e: Json): MappedBody {
  const t = s.totals;
  const reason = str(e['Removed Reason']);
  if (reason.toLowerCase().includes('kill')) t.executorsKilled++;
  else t.executorsFailed++;
  return {
    timeMs: long(e.Timestamp),
    body: { $case: 'executorRemoved', value: { executorId: str(e['Executor ID']), reason: truncate(reason, MAX_MESSAGE_CHARS) } },
  };
}
