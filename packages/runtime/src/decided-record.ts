/**
 * The "decided" record (docs/CLUSTER.md, "The decided record"): what every node writes of the slots
 * it applied, at most one line a second, and how a reader (`evpaxos verify`, the run report, the
 * demo timeline, the bench) turns a line back into one record per slot. One module writes and
 * reads it, so the format has one definition.
 *
 * A line: `{"message":"decided","atMs":T,"slots":[S, …]}`, each S a tuple
 * `[slot, "round.proposerId", digest, commandCount, msBeforeAtMs, duplicateIndices]`, on a central
 * followed by `[[clientId, seq, type], …]` (the proposers' record of every command; charge points
 * write the digest only, and a reader takes their commands from a central's record of the slot).
 */
import type { AppliedEntry, Ballot } from '@evpaxos/paxos';

/** One command of a decided slot as a reader gets it (values unchecked: verify checks them). */
export interface DecidedCommand {
  readonly clientId: unknown;
  readonly seq: unknown;
  /** The payload's `type`, null for an opaque payload, undefined when not logged. */
  readonly type: unknown;
}

/** One applied slot of one node, read back from its "decided" line. */
export interface DecidedSlot {
  readonly slot: number;
  readonly ballot: Ballot | null;
  /** commandsDigest of the slot's commands. */
  readonly digest: string;
  readonly count: number;
  /** When the node applied it (ms since epoch), or null when the line does not say. */
  readonly atMs: number | null;
  /** Indices of the commands the state machine recognised as retries (exactly-once). */
  readonly duplicates: readonly number[];
  /** Every command, where the node wrote them (a central), else undefined. */
  readonly commands?: readonly DecidedCommand[];
}

/**
 * A 53-bit digest (cyrb53, base 36) of a slot's commands: the text `clientId#seq#type`, one line
 * per command, in slot order (type empty for an opaque payload). Two nodes that applied different
 * commands in a slot write different digests but with probability about 2^-53 (docs/CLUSTER.md).
 */
export function commandsDigest(commands: readonly DecidedCommand[]): string {
  const digest = new Cyrb53();
  for (const { clientId, seq, type } of commands) {
    digest.addCommand(String(clientId), String(seq), typeof type === 'string' ? type : '');
  }
  return digest.toString();
}

/**
 * cyrb53 fed part by part (the same hash as of the concatenated text, without building it: a
 * charge point digests every slot it applies, 64 commands a slot under load). The state lives in
 * an Int32Array: the two halves stay 32-bit integers, never boxed numbers.
 */
class Cyrb53 {
  private readonly state = Int32Array.of(0xdeadbeef | 0, 0x41c6ce57);

  addCommand(clientId: string, seq: string, type: string): void {
    this.add(clientId);
    this.add('#');
    this.add(seq);
    this.add('#');
    this.add(type);
    this.add('\n');
  }

  private add(text: string): void {
    const state = this.state;
    let h1 = state[0] as number;
    let h2 = state[1] as number;
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
    }
    state[0] = h1;
    state[1] = h2;
  }

  toString(): string {
    let h1 = this.state[0] as number;
    let h2 = this.state[1] as number;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
  }
}

/** The `type` of an object payload (a site command's), or null for any other payload. */
export function payloadType(payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const type = (payload as { type?: unknown }).type;
  return typeof type === 'string' ? type : null;
}

/** Where a slot's tuple holds msBeforeAtMs, filled in when its line is written. */
export const DECIDED_TUPLE_MS_BEFORE_INDEX = 4;

/** One slot's tuple in a "decided" line; `fullCommands` on the centrals. One pass, no copies. */
export function decidedSlotTuple(
  entry: AppliedEntry,
  msBeforeAtMs: number,
  fullCommands: boolean,
): unknown[] {
  const digest = new Cyrb53();
  const duplicates: number[] = [];
  const commands: unknown[] | undefined = fullCommands ? [] : undefined;
  for (let index = 0; index < entry.commands.length; index += 1) {
    const { command, duplicate } = entry.commands[index] as AppliedEntry['commands'][number];
    const type = payloadType(command.payload);
    digest.addCommand(command.clientId, String(command.seq), type ?? '');
    if (duplicate) duplicates.push(index);
    commands?.push([command.clientId, command.seq, type]);
  }
  const tuple: unknown[] = [
    entry.slot,
    `${entry.ballot.round}.${entry.ballot.proposerId}`,
    digest.toString(),
    entry.commands.length,
    msBeforeAtMs,
    duplicates,
  ];
  if (commands !== undefined) tuple.push(commands);
  return tuple;
}

/**
 * The slots of one "decided" line, given its fields and the line's own timestamp. Reads the
 * record above and the per-slot line of earlier versions (`slot`, `ballot`, `commands` with
 * `clientId, seq, duplicate, type`), so old runs stay checkable. Malformed tuples are skipped.
 */
export function decidedSlotsOf(
  fields: Readonly<Record<string, unknown>>,
  timestampMs: number | null,
): DecidedSlot[] {
  if (Array.isArray(fields.slots)) {
    const atMs = typeof fields.atMs === 'number' ? fields.atMs : timestampMs;
    const result: DecidedSlot[] = [];
    for (const tuple of fields.slots as unknown[]) {
      const slot = slotOfTuple(tuple, atMs);
      if (slot !== null) result.push(slot);
    }
    return result;
  }
  if (typeof fields.slot !== 'number' || !Array.isArray(fields.commands)) return [];
  // The per-slot line of earlier versions.
  const commands = (fields.commands as unknown[]).filter(isObject).map((command) => ({
    clientId: command.clientId,
    seq: command.seq,
    type: command.type,
    duplicate: command.duplicate === true,
  }));
  const duplicates: number[] = [];
  commands.forEach(({ duplicate }, index) => duplicate && duplicates.push(index));
  return [
    {
      slot: fields.slot,
      ballot: ballotOf(fields.ballot),
      digest: commandsDigest(commands),
      count: commands.length,
      atMs: timestampMs,
      duplicates,
      commands,
    },
  ];
}

function slotOfTuple(tuple: unknown, atMs: number | null): DecidedSlot | null {
  if (!Array.isArray(tuple) || tuple.length < 6) return null;
  const [slot, ballot, digest, count, msBefore, duplicates, commands] = tuple as unknown[];
  if (typeof slot !== 'number' || typeof digest !== 'string' || typeof count !== 'number') {
    return null;
  }
  return {
    slot,
    ballot: ballotOf(ballot),
    digest,
    count,
    atMs: atMs !== null && typeof msBefore === 'number' ? atMs - msBefore : atMs,
    duplicates: Array.isArray(duplicates)
      ? duplicates.filter((index): index is number => typeof index === 'number')
      : [],
    ...(Array.isArray(commands)
      ? {
          commands: commands.map((command: unknown) => {
            const [clientId, seq, type] = Array.isArray(command) ? command : [];
            return { clientId, seq, type };
          }),
        }
      : {}),
  };
}

/** "round.proposerId" (or the { round, proposerId } of the per-slot line), else null. */
function ballotOf(value: unknown): Ballot | null {
  if (typeof value === 'string') {
    const dot = value.indexOf('.');
    const round = Number(value.slice(0, dot));
    return dot > 0 && Number.isSafeInteger(round)
      ? { round, proposerId: value.slice(dot + 1) }
      : null;
  }
  if (isObject(value) && typeof value.round === 'number' && typeof value.proposerId === 'string') {
    return { round: value.round, proposerId: value.proposerId };
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
