import type { Message, MessageType } from '@evpaxos/paxos';
import { EncodedValue, encodeValue } from './value-codec';

/**
 * The positional layout of every Paxos message on the wire (envelope version 2): a MessagePack
 * array whose first item is the message's type tag and whose other items are its fields in the
 * order below, absent optional fields as nil. One layout per message type of the one catalogue
 * (packages/paxos/src/messages.ts; docs/STYLE.md rule 5): the compiler flags a type added there
 * without a layout here. Arrays rather than maps because a map repeats every field name in every
 * message and the decoder builds an object key by key: a 64-command Accept decoded in about half
 * the time (docs/BENCHMARKS.md, "Issue 21: CPU per command"). The tags are part of the protocol:
 * never renumber one, append.
 *
 * Inside the fields: a ballot is `[round, proposerId]`; an entry (accepted, decided, or a Decide's,
 * whose value is nil in a commit notice) `[slot, ballot, value]`; a value the 0x56 extension
 * (value-codec.ts); a snapshot `[appliedThrough, state, clients, configurations, admissions]` with
 * clients a map from client id to `[floorSeq, appliedSeqs, lastSeq, lastResult, lastSlot]`, a
 * configuration step `[fromSlot, acceptors, phase1Quorum, phase2Quorum]` and an admission
 * `[acceptor, incarnation, fromSlot]`.
 */
export const paxosLayouts: {
  readonly [Type in MessageType]: { readonly tag: number; readonly fields: readonly string[] };
} = {
  'pre-vote': { tag: 0, fields: ['ballot'] },
  'pre-vote-reply': { tag: 1, fields: ['ballot', 'granted'] },
  prepare: { tag: 2, fields: ['ballot', 'fromSlot'] },
  promise: { tag: 3, fields: ['ballot', 'accepted', 'truncatedBelow', 'part', 'parts'] },
  accept: { tag: 4, fields: ['ballot', 'slot', 'value'] },
  accepted: { tag: 5, fields: ['ballot', 'slot'] },
  nack: { tag: 6, fields: ['ballot', 'promised', 'decidedBelow', 'leaseLive'] },
  decide: { tag: 7, fields: ['entries'] },
  heartbeat: { tag: 8, fields: ['ballot', 'decidedBelow'] },
  'heartbeat-ack': { tag: 9, fields: ['ballot'] },
  'catchup-request': { tag: 10, fields: ['fromSlot'] },
  'catchup-reply': { tag: 11, fields: ['snapshot', 'entries'] },
};

/** Message types by tag: what the decoder reads the first item as. */
export const paxosTypeOfTag: readonly MessageType[] = (() => {
  const types: MessageType[] = [];
  for (const [type, layout] of Object.entries(paxosLayouts) as [MessageType, { tag: number }][]) {
    if (types[layout.tag] !== undefined) throw new Error(`Paxos tag ${layout.tag} used twice.`);
    types[layout.tag] = type;
  }
  return types;
})();

/**
 * A message as its wire array, values as the leader's encoded bytes (unless `encodeValues` is
 * false: a test sending a value as a map, as a log of an earlier version holds it). Field by field
 * from the layout; a field that is not of the declared shape is passed on as it is (the receiver
 * refuses it), so a test can encode a malformed message the way a faulty peer would.
 */
export function encodePaxosMessage(message: Message, encodeValues = true): unknown[] {
  const layout = paxosLayouts[message.type];
  const fields = message as unknown as Record<string, unknown>;
  const out: unknown[] = [layout.tag];
  for (const field of layout.fields) out.push(encodeField(field, fields[field], encodeValues));
  return out;
}

function encodeField(field: string, value: unknown, encodeValues: boolean): unknown {
  if (value === undefined) return null;
  switch (field) {
    case 'ballot':
    case 'promised':
      return encodeBallot(value);
    case 'accepted':
    case 'entries':
      return Array.isArray(value)
        ? value.map((entry: unknown) => encodeEntry(entry, encodeValues))
        : value;
    case 'value':
      // Not `isValue` first: an encoded value's `commands` decodes it.
      if (value instanceof EncodedValue || !encodeValues) return value;
      return isValue(value) ? encodeValue(value) : value;
    case 'snapshot':
      return encodeSnapshot(value);
    default:
      return value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValue(value: unknown): value is { commands: readonly never[] } {
  return isObject(value) && Array.isArray(value.commands);
}

function encodeBallot(ballot: unknown): unknown {
  return isObject(ballot) && 'round' in ballot ? [ballot.round, ballot.proposerId] : ballot;
}

function encodeEntry(entry: unknown, encodeValues: boolean): unknown {
  if (!isObject(entry)) return entry;
  return [entry.slot, encodeBallot(entry.ballot), encodeField('value', entry.value, encodeValues)];
}

function encodeSnapshot(snapshot: unknown): unknown {
  if (!isObject(snapshot)) return snapshot;
  const clients = isObject(snapshot.clients)
    ? Object.fromEntries(
        Object.entries(snapshot.clients).map(([id, record]) => [
          id,
          isObject(record)
            ? [
                record.floorSeq,
                record.appliedSeqs,
                record.lastSeq,
                record.lastResult,
                record.lastSlot,
              ]
            : record,
        ]),
      )
    : snapshot.clients;
  return [
    snapshot.appliedThrough,
    snapshot.state,
    clients,
    mapItems(snapshot.configurations, (step) =>
      isObject(step) && isObject(step.configuration)
        ? [
            step.fromSlot,
            step.configuration.acceptors,
            step.configuration.phase1Quorum,
            step.configuration.phase2Quorum,
          ]
        : step,
    ),
    mapItems(snapshot.admissions, (admission) =>
      isObject(admission)
        ? [admission.acceptor, admission.incarnation, admission.fromSlot]
        : admission,
    ),
  ];
}

function mapItems(items: unknown, encode: (item: unknown) => unknown): unknown {
  if (items === undefined) return null;
  return Array.isArray(items) ? items.map(encode) : items;
}
