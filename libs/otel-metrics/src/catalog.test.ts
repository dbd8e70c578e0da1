// The catalog, the docs and the dashboard agree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_METRICS, prometheusLabel, prometheusName } from './catalog';

const doc = readFileSync(new URL('../../../docs/observability.md', import.meta.url), 'utf8');

describe('metric catalog', () => {
  it('names are unique and follow the naming rules', () => {
    const names = ALL_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of ALL_METRICS) {
      expect(m.name).toMatch(/^(sparkwire|spark|messaging)\.[a-z0-9_.]+$/);
      if (m.unit === 's' && !m.name.startsWith('messaging.')) expect(m.name).toMatch(/_seconds$/);
      if (m.unit === 'By') expect(m.name).toMatch(/(_bytes|\.bytes)$/);
      // Never an unbounded label.
      for (const l of m.labels) expect(l).not.toMatch(/(app|task|stage|job|run|client|executor)[._]id/);
    }
  });

  it('docs/observability.md lists every metric with its type and labels', () => {
    for (const m of ALL_METRICS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${prometheusName(m)}\` |`));
      expect(row, prometheusName(m)).toBeDefined();
      expect(row).toContain(`| ${m.type} |`);
      for (const l of m.labels) if (!l.includes('<key>') && !row!.includes('| same')) expect(row, `${m.name} ${l}`).toContain(`\`${prometheusLabel(l)}\``);
    }
  });

  it('the dashboard is valid JSON with unique panel ids', () => {
    const d = JSON.parse(readFileSync(new URL('../../../docs/grafana/sparkwire-dashboard.json', import.meta.url), 'utf8'));
    const ids = d.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(d.panels.filter((p: { type: string }) => p.type !== 'row').every((p: { targets: unknown[] }) => p.targets.length > 0)).toBe(true);
  });
});
