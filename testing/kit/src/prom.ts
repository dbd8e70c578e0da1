/** Prometheus text format -> sample name (with its `{labels}` as written) -> value; comments skipped. */
export function parsePromSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const close = line.lastIndexOf('}');
    const sep = line.indexOf(' ', close >= 0 ? close : 0);
    if (sep < 0) continue;
    const value = Number(line.slice(sep + 1).trim().split(' ')[0]);
    if (!Number.isNaN(value)) out.set(line.slice(0, sep), value);
  }
  return out;
}

/** The value of the first sample of `name` (any labels) in Prometheus text. */
export function promValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
