/**
 * The cluster file's `site` section (docs/SITE.md; the launcher writes it, docs/CLUSTER.md):
 * `"site": { "siteLimitW": 44000, "leaseMs": 30000 }`. The site owns it, not the generic runtime:
 * the central and charge point roles declare `siteConfigSection`, the runtime hands them the value
 * (every replica builds the site from it alike). Shaped as @evpaxos/runtime's ConfigSection, by
 * structure: this pure package imports no runtime.
 */
import type { SiteOptions } from './state';

/** The site options a cluster file may set. */
export type SiteSection = Pick<SiteOptions, 'siteLimitW' | 'leaseMs'>;

/** Checks the section: one sentence per problem into `problems`; undefined when refused. */
function readSiteSection(value: unknown, problems: string[]): SiteSection | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('The cluster file\'s "site" must be an object, e.g. { "siteLimitW": 44000 }.');
    return undefined;
  }
  const { siteLimitW, leaseMs, ...rest } = value as Record<string, unknown>;
  for (const key of Object.keys(rest)) {
    problems.push(`The cluster file's "site" has an unknown key "${key}".`);
  }
  const site: { siteLimitW?: number; leaseMs?: number } = {};
  for (const [name, raw, unit] of [
    ['siteLimitW', siteLimitW, 'W'],
    ['leaseMs', leaseMs, 'ms'],
  ] as const) {
    if (raw === undefined) continue;
    if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1) {
      problems.push(`site.${name} (${String(raw)}) must be a positive whole number of ${unit}.`);
      return undefined;
    }
    site[name] = raw;
  }
  return site;
}

/** The `site` key of the cluster file and its reader (a RoleExtension's configSections). */
export const siteConfigSection = Object.freeze({ key: 'site', read: readSiteSection });
