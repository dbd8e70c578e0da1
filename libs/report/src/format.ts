// sparkMeasure's pretty printing (ch.cern.sparkmeasure.Utils, v0.2x): the same thresholds,
// rounding and integer divisions, so a report line reads exactly as sparkMeasure prints it.

/** Utils.formatDuration: "45 ms", "0.4 s", "3 s", "1.2 min", "15 min", "1.5 h". */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${Math.trunc(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 1) return `${javaFixed(seconds, 1)} s`;
  if (seconds < 60) return `${javaFixed(seconds, 0)} s`;
  const minutes = seconds / 60;
  if (minutes < 10) return `${javaFixed(minutes, 1)} min`;
  if (minutes < 60) return `${javaFixed(minutes, 0)} min`;
  return `${javaFixed(minutes / 60, 1)} h`;
}

/**
 * Utils.formatBytes: binary units from twice the unit up; like sparkMeasure the value is an
 * integer (Long) division before it is printed with one decimal ("3.0 MB" for 3.9 MiB).
 */
export function formatBytes(bytes: number): string {
  const K = 1024;
  const units: Array<[number, string]> = [
    [K * K * K * K, 'TB'],
    [K * K * K, 'GB'],
    [K * K, 'MB'],
    [K, 'KB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= 2 * size) return `${Math.trunc(bytes / size).toFixed(1)} ${unit}`;
  }
  return `${Math.trunc(bytes)} Bytes`;
}

/** Utils.prettyPrintValues: `name => value (human)`, the unit chosen from the metric's name. */
export function prettyPrintValue(metric: string, value: number): string {
  const name = metric.toLowerCase();
  let human = '';
  if (name.includes('time') || name.includes('duration')) human = ` (${formatDuration(value)})`;
  else if (name.includes('bytes') || name.includes('size')) human = ` (${formatBytes(value)})`;
  return `${metric} => ${value}${human}`;
}

/** Java's String.format("%.Nf"): HALF_UP rounding (JavaScript's toFixed rounds the binary value). */
function javaFixed(x: number, digits: number): string {
  const f = 10 ** digits;
  const r = Math.round(x * f + Number.EPSILON * f) / f;
  return r.toFixed(digits);
}
