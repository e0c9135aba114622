import { ballotToString, type Ballot } from '@evpaxos/paxos';
import type { NodeStatusRow } from './cluster-handle';

const columns = [
  'id',
  'role',
  'pid',
  'state',
  'proposer',
  'ballot',
  'leader',
  'promised',
  'applied',
  'vote',
  'peers',
] as const;

/** `evpaxos status` as a fixed-width table, one line per node, '-' where a value is unknown. */
export function formatStatusTable(rows: readonly NodeStatusRow[]): string {
  const cells = rows.map((row) => {
    const paxos = row.status?.paxos;
    const peers = row.status?.peers;
    return [
      row.id,
      row.role,
      String(row.pid),
      row.state,
      paxos?.proposerState ?? '-',
      ballotText(paxos?.ballot),
      paxos?.leaderId ?? '-',
      ballotText(paxos?.promised),
      paxos ? String(paxos.appliedThrough) : '-',
      paxos?.standing ?? '-',
      peers ? `${peers.filter((peer) => peer.state === 'connected').length}/${peers.length}` : '-',
    ];
  });
  const widths = columns.map((title, index) =>
    Math.max(title.length, ...cells.map((line) => line[index]!.length)),
  );
  const format = (line: readonly string[]) =>
    line
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return [format(columns), ...cells.map(format), ...configurationLines(rows)].join('\n');
}

/**
 * The configuration as the most advanced node knows it (docs/PAXOS.md, "Membership change"):
 * who votes, the quorums, from which slot, and a decided change still to take effect.
 */
function configurationLines(rows: readonly NodeStatusRow[]): string[] {
  let best: NonNullable<NodeStatusRow['status']>['paxos'] | undefined;
  for (const row of rows) {
    const paxos = row.status?.paxos;
    if (paxos?.configuration && (!best || paxos.appliedThrough > best.appliedThrough)) best = paxos;
  }
  if (best === undefined) return [];
  const describe = (label: string, c: NonNullable<typeof best.nextConfiguration>) =>
    `${label}: acceptors ${c.acceptors.join(',')}  quorums q1=${c.phase1Quorum} q2=${c.phase2Quorum}  from slot ${c.fromSlot}`;
  return [
    '',
    describe('configuration', best.configuration),
    ...(best.nextConfiguration ? [describe('next', best.nextConfiguration)] : []),
  ];
}

function ballotText(ballot: Ballot | null | undefined): string {
  // Round 0 is ballotZero, "no ballot yet": printing it as "0." would look like a real one.
  return ballot && ballot.round > 0 ? ballotToString(ballot) : '-';
}
