/**
 * Agreement, validity, durability and exactly-once (docs/DESIGN.md, "Properties checked
 * everywhere"), checked on the nodes' "decided" records (docs/CLUSTER.md, "The decided record").
 * Every node writes, for each slot it applied, the slot's ballot, a digest of its commands and which
 * of them were retries; the centrals also write every command's (clientId, seq, type). So agreement
 * and durability compare digests on every node, and validity and exactly-once take a charge point's
 * commands from a central's record of the same slot with the same digest. A slot no central's
 * record holds (a kill -9 loses at most the last second of a node's record) is counted as unknown
 * in the evidence, never as checked.
 */
import { commandsDigest, decidedSlotsOf, type DecidedSlot } from '@evpaxos/runtime';
import { siteCommandTypes } from '@evpaxos/site';
import { reconfigurationPayloadType } from '@evpaxos/paxos';
import { where, type LogLine } from './log-reader';
import type { PropertyResult } from './properties';

/** One node's record of one applied slot. */
interface Decided extends DecidedSlot {
  readonly line: LogLine;
  /** Which run of the node's process wrote it: 0, then +1 at every later "ready". */
  readonly life: number;
}

/** The slot records of every "decided" line, with the process life of each. */
function decidedRecords(lines: readonly LogLine[]): { records: Decided[]; lines: number } {
  const lives = new Map<string, number>();
  const records: Decided[] = [];
  let count = 0;
  for (const line of lines) {
    if (line.message === 'ready') {
      lives.set(line.node, (lives.get(line.node) ?? -1) + 1);
      continue;
    }
    if (line.message !== 'decided') continue;
    count += 1;
    const life = Math.max(0, lives.get(line.node) ?? 0);
    for (const slot of decidedSlotsOf(line.fields, line.timestampMs)) {
      records.push({ ...slot, line, life });
    }
  }
  return { records, lines: count };
}

/** A record's commands match its digest (a central's record is consistent with itself). */
function consistent(record: DecidedSlot): boolean {
  return record.commands === undefined || commandsDigest(record.commands) === record.digest;
}

/**
 * Per slot, the commands of the first record that lists them (a central's) and is consistent:
 * the commands of every record of that slot with the same digest.
 */
function knownCommands(records: readonly Decided[]): Map<number, Decided> {
  const known = new Map<number, Decided>();
  for (const record of records) {
    if (record.commands !== undefined && !known.has(record.slot) && consistent(record)) {
      known.set(record.slot, record);
    }
  }
  return known;
}

/** The commands of `record`: its own, a central's with the same digest, none for a no-op, else undefined. */
function commandsOf(record: Decided, known: Map<number, Decided>): Decided['commands'] {
  if (record.commands !== undefined) return record.commands;
  if (record.count === 0) return [];
  const central = known.get(record.slot);
  return central?.digest === record.digest ? central.commands : undefined;
}

function describe(record: DecidedSlot): string {
  const commands = record.commands;
  if (commands === undefined) {
    return record.count === 0
      ? '[] (no-op)'
      : `${record.count} command${record.count === 1 ? '' : 's'} with digest ${record.digest}`;
  }
  return commands.length === 0
    ? '[] (no-op)'
    : `[${commands.map((c) => `${String(c.clientId)}#${String(c.seq)}${typeof c.type === 'string' ? ` ${c.type}` : ''}`).join(', ')}]`;
}

/** 1. Agreement: no two nodes decide different commands for one slot. */
export function checkAgreement(lines: readonly LogLine[]): PropertyResult {
  const { records, lines: lineCount } = decidedRecords(lines);
  const bySlot = new Map<number, Decided>();
  const nodes = new Set<string>();
  let counterexample: string | undefined;
  for (const record of records) {
    nodes.add(record.line.node);
    if (!consistent(record)) {
      counterexample ??= `slot ${record.slot}: ${record.line.node} wrote digest ${record.digest} for ${describe(record)}, whose digest is ${commandsDigest(record.commands ?? [])} (${where(record.line)}).`;
      continue;
    }
    const first = bySlot.get(record.slot);
    if (first === undefined) bySlot.set(record.slot, record);
    else if (first.digest !== record.digest || first.count !== record.count) {
      counterexample ??= `slot ${record.slot}: ${first.line.node} decided ${describe(first)} (${where(first.line)}) but ${record.line.node} decided ${describe(record)} (${where(record.line)}).`;
    }
  }
  const evidence = `${records.length} slot records in ${lineCount} "decided" lines from ${nodes.size} nodes, ${bySlot.size} distinct slots`;
  return counterexample === undefined
    ? {
        property: 'agreement',
        pass: true,
        ...(records.length === 0 ? { vacuous: true } : {}),
        evidence:
          records.length === 0
            ? 'vacuous: no "decided" records, nothing to compare.'
            : `${evidence}: every slot has one value (its commands' digest) on every node that recorded it.`,
      }
    : { property: 'agreement', pass: false, evidence: `${evidence}.`, counterexample };
}

/**
 * 3. Durability: a decided command survives any crash and restart. Evidence in the logs: a node
 * that restarted (a second "ready") and decided a slot again decides the same value it had
 * decided before the crash (the same digest).
 */
export function checkDurability(lines: readonly LogLine[]): PropertyResult {
  const { records } = decidedRecords(lines);
  const firstByNodeSlot = new Map<string, Decided>();
  const readies = new Map<string, number>();
  for (const line of lines) {
    if (line.message === 'ready') readies.set(line.node, (readies.get(line.node) ?? 0) + 1);
  }
  let restarts = 0;
  for (const count of readies.values()) restarts += Math.max(0, count - 1);
  let redecided = 0;
  let counterexample: string | undefined;
  for (const record of records) {
    const key = `${record.line.node}\u0000${record.slot}`;
    const first = firstByNodeSlot.get(key);
    if (first === undefined) {
      firstByNodeSlot.set(key, record);
      continue;
    }
    if (first.life !== record.life) redecided += 1;
    if (first.digest !== record.digest || first.count !== record.count) {
      counterexample ??= `${record.line.node} slot ${record.slot}: ${describe(first)} before (${where(first.line)}), ${describe(record)} after${first.life !== record.life ? ' a restart' : ''} (${where(record.line)}).`;
    }
  }
  const evidence = `${restarts} process restarts, ${redecided} slots decided again after a restart`;
  return counterexample === undefined
    ? {
        property: 'durability',
        pass: true,
        ...(redecided === 0 ? { vacuous: true } : {}),
        evidence:
          redecided === 0
            ? `vacuous: ${evidence}, nothing decided twice by one node to compare.`
            : `${evidence}: each the same value as before.`,
      }
    : { property: 'durability', pass: false, evidence: `${evidence}.`, counterexample };
}

/**
 * 2. Validity: every decided command was submitted by a client (or is a no-op). The centrals do not
 * log submissions, so the evidence is indirect: every decided command carries a well-formed
 * (clientId, seq) — the runtime assigns none of its own to invented commands — and, where the
 * record names its type, a SiteCommand type (or an opaque payload with no type, in a
 * consensus-only cluster); and one (clientId, seq) never names two different commands. The
 * commands are the centrals' records; a charge point's slot agrees with them by digest (agreement).
 */
export function checkValidity(lines: readonly LogLine[]): PropertyResult {
  const { records } = decidedRecords(lines);
  const known = knownCommands(records);
  // A membership change is a command too (docs/PAXOS.md): the core applies it, not the site.
  const knownTypes = new Set<string>([...siteCommandTypes, reconfigurationPayloadType]);
  const types = new Map<string, number>();
  const typeOfRequest = new Map<string, { type: string; line: LogLine }>();
  let commands = 0;
  let noops = 0;
  const unknownSlots = new Set<number>();
  let counterexample: string | undefined;
  const fail = (text: string) => {
    counterexample ??= text;
  };
  for (const record of records) {
    if (record.count === 0 && record.commands === undefined) noops += 1;
    if (record.commands === undefined) {
      if (commandsOf(record, known) === undefined) unknownSlots.add(record.slot);
      continue;
    }
    if (record.commands.length === 0) noops += 1;
    const at = `slot ${record.slot} on ${record.line.node}`;
    for (const { clientId, seq, type } of record.commands) {
      commands += 1;
      if (typeof clientId !== 'string' || clientId === '') {
        fail(`${at}: a command without a clientId (${where(record.line)}).`);
        continue;
      }
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
        fail(
          `${at}: ${clientId} has seq ${JSON.stringify(seq)}, not a whole number (${where(record.line)}).`,
        );
        continue;
      }
      const typeName =
        typeof type === 'string' ? type : type === undefined ? '(not logged)' : '(opaque payload)';
      if (typeof type === 'string' && !knownTypes.has(type)) {
        fail(
          `${at}: ${clientId}#${seq} has type "${type}", not a site command (${where(record.line)}).`,
        );
      }
      types.set(typeName, (types.get(typeName) ?? 0) + 1);
      const request = `${clientId}#${seq}`;
      const seen = typeOfRequest.get(request);
      if (seen === undefined) typeOfRequest.set(request, { type: typeName, line: record.line });
      else if (seen.type !== typeName) {
        fail(
          `${request} is decided as ${seen.type} (${where(seen.line)}) and as ${typeName} (${where(record.line)}): one request, two commands.`,
        );
      }
    }
  }
  const byType = [...types.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  const unknown =
    unknownSlots.size > 0
      ? `; ${unknownSlots.size} slots recorded by digest only, no central's record of their commands left: not checked`
      : '';
  const evidence = `${commands} decided commands (${byType || 'none'}) and ${noops} no-op slot records${unknown}; evidence: well-formed (clientId, seq), known command types, one command per (clientId, seq) — the centrals do not log submissions`;
  return counterexample === undefined
    ? commands + noops === 0
      ? { property: 'validity', pass: true, vacuous: true, evidence: `vacuous: ${evidence}.` }
      : { property: 'validity', pass: true, evidence: `${evidence}.` }
    : { property: 'validity', pass: false, evidence: `${evidence}.`, counterexample };
}

/** 4. Exactly-once: a retried (clientId, seq) changes the state once, on every node. */
export function checkExactlyOnce(lines: readonly LogLine[]): PropertyResult {
  const { records } = decidedRecords(lines);
  const known = knownCommands(records);
  // node → request → the slot (and line) where it was applied as new, per process life: a
  // restarted central replays the log from slot 0 and applies everything anew, which is fine.
  const applied = new Map<string, { slot: number; line: LogLine }>();
  let duplicates = 0;
  let unknownSlots = 0;
  let counterexample: string | undefined;
  for (const record of records) {
    const commands = commandsOf(record, known);
    if (commands === undefined) {
      unknownSlots += 1;
      continue;
    }
    const retries = new Set(record.duplicates);
    commands.forEach((command, index) => {
      if (retries.has(index)) {
        duplicates += 1;
        return;
      }
      const request = `${String(command.clientId)}#${String(command.seq)}`;
      const key = `${record.line.node}\u0000${record.life}\u0000${request}`;
      const first = applied.get(key);
      if (first === undefined) applied.set(key, { slot: record.slot, line: record.line });
      else if (first.slot !== record.slot) {
        counterexample ??= `${record.line.node} applied ${request} twice as new: slot ${first.slot} (${where(first.line)}) and slot ${record.slot} (${where(record.line)}).`;
      }
    });
  }
  const evidence =
    `${applied.size} (node, clientId, seq) applications, ${duplicates} retries recognised as duplicates` +
    (unknownSlots > 0
      ? `; ${unknownSlots} slot records by digest only whose commands no central's record holds: not checked`
      : '');
  return counterexample === undefined
    ? {
        property: 'exactly-once',
        pass: true,
        ...(applied.size === 0 ? { vacuous: true } : {}),
        evidence:
          applied.size === 0
            ? `vacuous: ${evidence}, no request applied at all.`
            : `${evidence}: no request applied twice.`,
      }
    : { property: 'exactly-once', pass: false, evidence: `${evidence}.`, counterexample };
}
