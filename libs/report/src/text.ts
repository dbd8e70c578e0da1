// The report's sparkMeasure part as text: the lines StageMetrics.report() prints, in its order.
import { AGGREGATED_METRICS, type AppReport } from './aggregate';
import { prettyPrintValue } from './format';

/** "Aggregated Spark stage metrics:" and the `name => value (human)` lines, then "Stages and their duration:". */
export function stageMetricsText(r: AppReport): string {
  const lines = ['Aggregated Spark stage metrics:'];
  for (const m of AGGREGATED_METRICS) lines.push(prettyPrintValue(m, r.aggregated[m]));
  lines.push('', 'Stages and their duration:');
  for (const s of r.stages) lines.push(prettyPrintValue(`Stage ${s.stageId}${s.attemptNumber ? `.${s.attemptNumber}` : ''} duration`, s.metrics.stageDuration));
  return `${lines.join('\n')}\n`;
}
