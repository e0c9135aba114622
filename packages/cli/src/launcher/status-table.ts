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
  return [format(columns), ...cells.map(format)].join('\n');
}

function ballotText(ballot: Ballot | null | undefined): string {
  // Round 0 is ballotZero, "no ballot yet": printing it as "0." would look like a real one.
  return ballot && ballot.round > 0 ? ballotToString(ballot) : '-';
}
