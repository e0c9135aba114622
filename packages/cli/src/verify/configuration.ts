/**
 * The configuration property (docs/PAXOS.md, "Membership change"; docs/CLUSTER.md, "evpaxos
 * verify"): every node that applied a reconfiguration reached the same verdict for it — the same
 * acceptors, quorums and effective slot — every one takes effect the same α slots after the slot
 * that decided it, and a node that lost its state voted again only from the slot a decided
 * in-place replace of its very incarnation named (docs/PAXOS.md, "Joining and re-admission").
 */
import { where, type LogLine } from './log-reader';
import type { PropertyResult } from './properties';

interface Verdict {
  readonly line: LogLine;
  readonly text: string;
  readonly effectiveSlot: number | undefined;
  readonly change: Record<string, unknown> | undefined;
}

function verdictOf(line: LogLine): Verdict | undefined {
  const outcome = line.fields.outcome as Record<string, unknown> | undefined;
  if (typeof outcome !== 'object' || outcome === null) return undefined;
  const configuration = outcome.configuration as Record<string, unknown> | undefined;
  const effectiveSlot =
    typeof outcome.effectiveSlot === 'number' ? outcome.effectiveSlot : undefined;
  const text =
    outcome.ok === true
      ? `${JSON.stringify(configuration?.acceptors)} q1=${String(configuration?.phase1Quorum)} q2=${String(configuration?.phase2Quorum)} from slot ${String(effectiveSlot)}`
      : `void (${JSON.stringify(outcome.problems)})`;
  const change = line.fields.change as Record<string, unknown> | undefined;
  return { line, text, effectiveSlot, change };
}

export function checkConfiguration(lines: readonly LogLine[]): PropertyResult {
  const bySlot = new Map<number, Verdict>();
  const alphas = new Map<number, LogLine>();
  const nodes = new Set<string>();
  const admissions: { acceptor: unknown; incarnation: unknown; fromSlot: number }[] = [];
  let counterexample: string | undefined;
  let lineCount = 0;
  for (const line of lines) {
    if (line.message !== 'configuration-decided') continue;
    const slot = line.fields.slot;
    const verdict = verdictOf(line);
    if (typeof slot !== 'number' || verdict === undefined) continue;
    lineCount += 1;
    nodes.add(line.node);
    const first = bySlot.get(slot);
    if (first === undefined) bySlot.set(slot, verdict);
    else if (first.text !== verdict.text) {
      counterexample ??= `slot ${slot}: ${first.line.node} applied ${first.text} (${where(first.line)}), ${line.node} applied ${verdict.text} (${where(line)}).`;
    }
    if (verdict.effectiveSlot !== undefined) alphas.set(verdict.effectiveSlot - slot, line);
    const change = verdict.change;
    if (
      verdict.effectiveSlot !== undefined &&
      change?.kind === 'replace' &&
      change.by === change.acceptor
    ) {
      admissions.push({
        acceptor: change.acceptor,
        incarnation: change.incarnation,
        fromSlot: verdict.effectiveSlot,
      });
    }
  }
  if (alphas.size > 1 && counterexample === undefined) {
    const [[a, lineA], [b, lineB]] = [...alphas.entries()] as [
      [number, LogLine],
      [number, LogLine],
    ];
    counterexample = `changes took effect ${a} slots after their slot (${where(lineA)}) and ${b} slots after (${where(lineB)}): α must be one constant.`;
  }
  let readmitted = 0;
  for (const line of lines) {
    if (line.message !== 'standing' || line.fields.standing !== 'voting') continue;
    const incarnation = line.fields.incarnation;
    if (typeof incarnation !== 'number' || incarnation <= 1) continue;
    readmitted += 1;
    const admission = admissions.find(
      (candidate) => candidate.acceptor === line.node && candidate.incarnation === incarnation,
    );
    if (admission === undefined || admission.fromSlot !== line.fields.fromSlot) {
      counterexample ??= `${line.node} voted as incarnation ${incarnation} from slot ${String(line.fields.fromSlot)} (${where(line)}) but no decided in-place replace re-admitted that incarnation from that slot.`;
    }
  }
  if (lineCount === 0) {
    return {
      property: 'configuration',
      pass: true,
      vacuous: true,
      evidence: 'vacuous: no membership change was decided in this run.',
    };
  }
  return {
    property: 'configuration',
    pass: counterexample === undefined,
    evidence: `${bySlot.size} membership changes applied on ${nodes.size} nodes (${lineCount} lines), α ${[...alphas.keys()].join('/') || '-'}; ${readmitted} re-admitted nodes voted.`,
    ...(counterexample === undefined ? {} : { counterexample }),
  };
}
