// The help line of one configuration setting (serve, print-config, dead-letter): its
// description and default from the configuration schema (libs/sdk/src/config.ts), its choices
// and its environment variable. The default is only shown, never given to commander, so a
// flag that is not on the command line leaves the file and environment values in force.
import { parseConfig } from '@sparkwire/sdk';
import type { Setting } from '../config-sources';

let defaults: Record<string, unknown> | undefined;

/** The schema's default of a setting, as text ('' when it has none). */
export function settingDefault(s: Setting): string {
  if (s.key === 'kafka.brokers') return '';
  defaults ??= parseConfig({ kafka: { brokers: ['127.0.0.1:9092'] } }) as unknown as Record<string, unknown>;
  const d = s.path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
  if (d === undefined) return '';
  return Array.isArray(d) ? (d.length ? d.join(',') : '(none)') : String(d);
}

export function settingHelp(s: Setting): string {
  const d = settingDefault(s);
  const parts = [s.description ?? s.key];
  if (s.choices) parts.push(`(${s.choices.join('|')})`);
  parts.push(d ? `(default: ${d}; env: ${s.env})` : `(env: ${s.env})`);
  return parts.join(' ');
}
