// Summarises a V8 .cpuprofile (node --cpu-prof): where the sampled time went, by function
// (self time) and by package/file, so a benchmark report can name its hotspots.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Hotspot {
  name: string;
  /** Share of all samples, 0..1. */
  share: number;
  ms: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples not idle (not "(idle)" / "(program)" / "(garbage collector)" excluded). */
  busyShare: number;
  byFunction: Hotspot[];
  byArea: Hotspot[];
}

/** Groups a script URL into an area: a package under node_modules, a workspace lib, node internals. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (pkg.startsWith('@sparkwire/')) return `${pkg}/${rest.slice(rest[0].startsWith('@') ? 2 : 1).join('/')}`;
    return pkg;
  }
  const m = /\/(libs|apps|tools)\/([^/]+)\/(.*)$/.exec(u);
  if (m) return `${m[1]}/${m[2]}/${m[3]}`;
  if (u.startsWith('node:')) return 'node internals';
  return u;
}

const maps = new Map<string, SourceMap | null>();

/** The source map next to a bundled script (e.g. apps/sidecar/dist/cli.mjs.map), if any. */
function sourceMapOf(url: string): SourceMap | null {
  if (!/\.(m?js)$/.test(url) || url.includes('/node_modules/') || !url.startsWith('file://')) return null;
  let m = maps.get(url);
  if (m === undefined) {
    m = null;
    try {
      const file = `${fileURLToPath(url)}.map`;
      if (existsSync(file)) m = new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      m = null;
    }
    maps.set(url, m);
  }
  return m;
}

/** Maps a bundled function back to its source file (as a file:// URL) and line through the bundle's source map. */
function original(url: string, line: number, column: number): { url: string; line: number } {
  const m = sourceMapOf(url);
  if (!m || line < 0) return { url, line };
  const e = m.findEntry(line, Math.max(0, column)) as { originalSource?: string; originalLine?: number };
  if (!e || !e.originalSource) return { url, line };
  const src = e.originalSource.startsWith('file://') ? e.originalSource : new URL(e.originalSource, url).href;
  return { url: src, line: e.originalLine ?? line };
}

/** A short location: repo-relative or package-relative file and line (lines of TS run through tsx are all 1). */
function fileOf(url: string, line: number): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  const rel = nm >= 0 ? u.slice(nm + '/node_modules/'.length) : (/\/((?:libs|apps|tools)\/.*)$/.exec(u)?.[1] ?? u);
  return line >= 0 ? `${rel}:${line + 1}` : rel;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Self time per node: from samples + timeDeltas when present, else hitCount.
  const selfUs = new Map<number, number>();
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) {
      // timeDeltas[i] is the time before sample i; attribute the following delta to sample i.
      const dt = p.timeDeltas[i + 1] ?? 0;
      selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + Math.max(0, dt));
    }
  } else {
    const interval = (p.endTime - p.startTime) / Math.max(1, p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0));
    for (const n of p.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * interval);
  }
  let total = 0;
  let idle = 0;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName } = n.callFrame;
    const { url, line: lineNumber } = original(n.callFrame.url, n.callFrame.lineNumber, n.callFrame.columnNumber);
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const a = areaOf(url, functionName);
    const key = url ? `${functionName || '(anonymous)'} (${fileOf(url, lineNumber)})` : functionName || '(anonymous)';
    fn.set(key, (fn.get(key) ?? 0) + us);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): Hotspot[] =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: total > 0 ? us / total : 0, ms: us / 1000 }));
  return { totalMs: total / 1000, busyShare: total > 0 ? 1 - idle / total : 0, byFunction: rank(fn), byArea: rank(area) };
}

export function formatHotspots(s: ProfileSummary, title: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [`${title}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${pct(s.busyShare)} busy (not idle)`, '  by function (self time):'];
  for (const h of s.byFunction) lines.push(`    ${pct(h.share).padStart(6)}  ${h.name}`);
  lines.push('  by area (self time):');
  for (const h of s.byArea) lines.push(`    ${pct(h.share).padStart(6)}  ${h.name}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const files = args.filter((a) => !/^\d+$/.test(a));
  const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
  if (files.length === 0) {
    console.error('usage: cpu-profile.ts <file.cpuprofile>... [top]');
    process.exit(2);
  }
  for (const file of files) console.log(formatHotspots(summarizeProfile(file, top), file));
}
