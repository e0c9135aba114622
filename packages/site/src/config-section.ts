/**
 * The cluster file's `site` section (docs/SITE.md; the launcher writes it, docs/CLUSTER.md):
 * `"site": { "siteLimitW": 44000, "leaseMs": 30000, "chargePointsMax": 9 }`. The site owns it, not
 * the generic runtime: the central and charge point roles declare `siteConfigSection`, the runtime
 * hands them the value (every replica builds the site from it alike). Shaped as @evpaxos/runtime's
 * ConfigSection, by structure: this pure package imports no runtime.
 */
import { CHARGE_POINTS_MAX_LIMIT, FAIL_SAFE_POWER_W_MIN, SITE_LIMIT_W_DEFAULT } from './constants';
import type { SiteOptions } from './state';

/** The site options a cluster file may set. */
export type SiteSection = Pick<SiteOptions, 'siteLimitW' | 'leaseMs' | 'chargePointsMax'>;

const sectionKeys = [
  ['siteLimitW', 'W'],
  ['leaseMs', 'ms'],
  ['chargePointsMax', 'charge points'],
] as const;

/** Checks the section: one sentence per problem into `problems`; undefined when refused. */
function readSiteSection(value: unknown, problems: string[]): SiteSection | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('The cluster file\'s "site" must be an object, e.g. { "siteLimitW": 44000 }.');
    return undefined;
  }
  const known = new Set<string>(sectionKeys.map(([name]) => name));
  for (const key of Object.keys(value)) {
    if (!known.has(key)) problems.push(`The cluster file's "site" has an unknown key "${key}".`);
  }
  const site: { -readonly [K in keyof SiteSection]: number } = {};
  for (const [name, unit] of sectionKeys) {
    const raw = (value as Record<string, unknown>)[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1) {
      problems.push(`site.${name} (${String(raw)}) must be a positive whole number of ${unit}.`);
      return undefined;
    }
    site[name] = raw;
  }
  return site;
}

/**
 * The problems of a site of `chargePointNodes` charge point processes built with `site`, one
 * sentence each (docs/STYLE.md rule 4: a configuration that cannot work is refused at start, not
 * found at run time when a station's BootNotification is Rejected).
 */
export function siteSizeProblems(site: SiteSection, chargePointNodes: number): string[] {
  const problems: string[] = [];
  const chargePointsMax = site.chargePointsMax ?? chargePointNodes;
  const siteLimitW = site.siteLimitW ?? SITE_LIMIT_W_DEFAULT;
  if (chargePointsMax > CHARGE_POINTS_MAX_LIMIT) {
    problems.push(
      `site.chargePointsMax (${chargePointsMax}) is above ${CHARGE_POINTS_MAX_LIMIT}, the most one site holds.`,
    );
  } else if (chargePointsMax < chargePointNodes) {
    problems.push(
      `site.chargePointsMax (${chargePointsMax}) is below the ${chargePointNodes} charge points of the cluster: ${chargePointNodes - chargePointsMax} of them could never register.`,
    );
  }
  // docs/DESIGN.md: the fail-safe power is site limit / number of charge points (lease.ts).
  const failSafeW = Math.floor(siteLimitW / Math.max(1, chargePointsMax));
  if (failSafeW < FAIL_SAFE_POWER_W_MIN) {
    problems.push(
      `The fail-safe share, site.siteLimitW / site.chargePointsMax = ${siteLimitW} / ${chargePointsMax} = ${failSafeW} W, is below ${FAIL_SAFE_POWER_W_MIN} W, the least an EV charges at: raise the site limit or lower chargePointsMax.`,
    );
  }
  return problems;
}

/**
 * Completes the section once the node list is known: `chargePointsMax` defaults to the number of
 * charge points in the cluster file (docs/SITE.md, "Size"), and the size is checked.
 */
function completeSiteSection(
  site: SiteSection | undefined,
  nodes: readonly { readonly role: string }[],
  problems: string[],
): SiteSection {
  const chargePointNodes = nodes.filter((node) => node.role === 'charge-point').length;
  const completed: SiteSection = {
    ...site,
    chargePointsMax: site?.chargePointsMax ?? Math.max(1, chargePointNodes),
  };
  problems.push(...siteSizeProblems(completed, chargePointNodes));
  return completed;
}

/** The `site` key of the cluster file and its reader (a RoleExtension's configSections). */
export const siteConfigSection = Object.freeze({
  key: 'site',
  read: readSiteSection,
  complete: completeSiteSection,
});
