import type { FaultRule } from '@evpaxos/runtime';
import { LauncherError } from './errors';

/**
 * Parses `"central-a,cp1,cp2 | central-b,cp3,cp4,cp5"`: two or more sides separated by `|`, node
 * ids separated by `,`. Every id must be a node of the cluster and appear once. Nodes left out
 * keep talking to every side (a bridge), which is how a lab builds a non-transitive partition.
 */
export function parsePartitionSpec(spec: string, nodeIds: readonly string[]): string[][] {
  const known = new Set(nodeIds);
  const sides = spec.split('|').map((side) =>
    side
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  );
  const problems: string[] = [];
  if (sides.length < 2) problems.push('A partition needs at least two sides separated by "|".');
  sides.forEach((side, index) => {
    if (side.length === 0) problems.push(`Side ${index + 1} names no node.`);
  });
  const seen = new Set<string>();
  for (const id of sides.flat()) {
    if (!known.has(id)) problems.push(`"${id}" is not a node of this cluster.`);
    if (seen.has(id)) problems.push(`"${id}" is on more than one side.`);
    seen.add(id);
  }
  if (problems.length > 0) {
    throw new LauncherError(
      'bad-partition-spec',
      `Bad partition spec "${spec}": ${problems.join(' ')} Nodes: ${nodeIds.join(', ')}. Example: "central-a,cp1,cp2 | central-b,cp3,cp4,cp5".`,
    );
  }
  return sides;
}

/** Each node drops everything to and from every node on another side. */
export function partitionRules(sides: readonly (readonly string[])[]): Record<string, FaultRule[]> {
  const rules: Record<string, FaultRule[]> = {};
  sides.forEach((side, index) => {
    const others = sides.filter((_, other) => other !== index).flat();
    for (const id of side) {
      rules[id] = others.map((peer) => ({ peer, direction: 'both', action: 'drop' }));
    }
  });
  return rules;
}
