// A reader for the Prometheus text exposition format (version 0.0.4): enough to check a
// scrape by name, type, labels and value in tests and tools.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: string;
  help: string;
  unit?: string;
  samples: PromSample[];
}

const SUFFIXES = ['_bucket', '_sum', '_count'];

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    const key = s.slice(i, eq).trim().replace(/^,/, '').trim();
    let j = eq + 2; // past ="
    let value = '';
    while (j < s.length && s[j] !== '"') {
      if (s[j] === '\\') {
        const n = s[j + 1];
        value += n === 'n' ? '\n' : n;
        j += 2;
      } else value += s[j++];
    }
    out[key] = value;
    i = j + 1;
    while (i < s.length && (s[i] === ',' || s[i] === ' ')) i++;
  }
  return out;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** Families by name, each with its samples (histogram _bucket/_sum/_count samples belong to their family). */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE|UNIT)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) continue;
      const f = family(m[2]);
      if (m[1] === 'TYPE') f.type = m[3];
      else if (m[1] === 'HELP') f.help = m[3];
      else f.unit = m[3];
      continue;
    }
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    if (brace >= 0 && brace < space) {
      name = line.slice(0, brace);
      const close = line.lastIndexOf('}');
      labels = parseLabels(line.slice(brace + 1, close));
      rest = line.slice(close + 1).trim();
    } else {
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = parseValue(rest.split(/\s+/)[0]);
    let owner = families.get(name);
    if (!owner) {
      const suffix = SUFFIXES.find((s) => name.endsWith(s));
      owner = suffix ? families.get(name.slice(0, -suffix.length)) : undefined;
    }
    (owner ?? family(name)).samples.push({ name, labels, value });
  }
  return families;
}
