import type {
  AcceptedEntry,
  Admission,
  Ballot,
  ClientRecord,
  ConfigurationStep,
  DecideEntry,
  DecidedEntry,
  Message,
  MessageType,
  Snapshot,
  Value,
} from '@evpaxos/paxos';
import {
  invalidBody,
  isInteger,
  readArray,
  readId,
  readInteger,
  readNonNegativeInteger,
  readPlainData,
  readPlainObject,
  readPositiveInteger,
  readRecord,
  readString,
  readTuple,
} from './check';
import type { WireLimits } from './constants';
import { WireError } from './errors';
import { paxosLayouts, paxosTypeOfTag } from './paxos-layout';
import { EncodedValue, readCommands } from './value-codec';

/**
 * The strict validator for the Paxos message catalogue (packages/paxos/src/messages.ts), each
 * message in its positional layout (paxos-layout.ts): exactly the layout's items, each checked.
 * It returns a fresh object built field by field, so what reaches `Node.step` has exactly the
 * declared shape: the compiler flags a required field added to the catalogue and not read here.
 * Error paths name fields as the catalogue does (`accept.ballot.round`).
 */
export function validatePaxosMessage(value: unknown, limits: WireLimits): Message {
  const type = readMessageType(value);
  const path = type;
  const o = readTuple(value, path, paxosLayouts[type].fields.length + 1);
  switch (type) {
    case 'pre-vote':
      return { type, ballot: readBallot(o[1], `${path}.ballot`, limits) };
    case 'pre-vote-reply': {
      if (typeof o[2] !== 'boolean') throw invalidBody(`${path}.granted`, 'a boolean');
      return { type, ballot: readBallot(o[1], `${path}.ballot`, limits), granted: o[2] };
    }
    case 'prepare':
      return {
        type,
        ballot: readBallot(o[1], `${path}.ballot`, limits),
        fromSlot: readSlot(o[2], `${path}.fromSlot`),
      };
    case 'promise':
      return readPromise(o, path, limits);
    case 'accept':
      return {
        type,
        ballot: readBallot(o[1], `${path}.ballot`, limits),
        slot: readSlot(o[2], `${path}.slot`),
        value: readValue(o[3], `${path}.value`, limits),
      };
    case 'accepted':
      return {
        type,
        ballot: readBallot(o[1], `${path}.ballot`, limits),
        slot: readSlot(o[2], `${path}.slot`),
      };
    case 'nack':
      return readNack(o, path, limits);
    case 'decide':
      return { type, entries: readDecideEntries(o[1], `${path}.entries`, limits) };
    case 'heartbeat':
      return {
        type,
        ballot: readBallot(o[1], `${path}.ballot`, limits),
        decidedBelow: readSlot(o[2], `${path}.decidedBelow`),
      };
    case 'heartbeat-ack':
      return { type, ballot: readBallot(o[1], `${path}.ballot`, limits) };
    case 'catchup-request':
      return { type, fromSlot: readSlot(o[1], `${path}.fromSlot`) };
    case 'catchup-reply': {
      const entries = readEntries(o[2], `${path}.entries`, limits);
      if (o[1] === null) return { type, entries };
      return { type, snapshot: readSnapshot(o[1], `${path}.snapshot`, limits), entries };
    }
    default:
      return assertNever(type);
  }
}

/** [tag, ballot, accepted, truncatedBelow, part, parts]: part and parts both nil or both set. */
function readPromise(o: readonly unknown[], path: string, limits: WireLimits): Message {
  const promise = {
    type: 'promise' as const,
    ballot: readBallot(o[1], `${path}.ballot`, limits),
    accepted: readEntries(o[2], `${path}.accepted`, limits),
    truncatedBelow: readSlot(o[3], `${path}.truncatedBelow`),
  };
  if (o[4] === null && o[5] === null) return promise;
  const parts = readPositiveInteger(o[5], `${path}.parts`);
  if (parts > limits.promisePartsMax) {
    throw invalidBody(`${path}.parts`, `at most ${limits.promisePartsMax}`);
  }
  const part = readNonNegativeInteger(o[4], `${path}.part`);
  if (part >= parts) throw invalidBody(`${path}.part`, `below parts (${parts})`);
  return { ...promise, part, parts };
}

/** [tag, ballot, promised, decidedBelow, leaseLive]: the last two nil when absent. */
function readNack(o: readonly unknown[], path: string, limits: WireLimits): Message {
  const nack = {
    type: 'nack' as const,
    ballot: readBallot(o[1], `${path}.ballot`, limits),
    promised: readBallot(o[2], `${path}.promised`, limits),
  };
  if (o[4] !== null && o[4] !== true) throw invalidBody(`${path}.leaseLive`, 'true or absent');
  const lease = o[4] === true ? { leaseLive: true as const } : {};
  if (o[3] === null) return { ...nack, ...lease };
  return { ...nack, ...lease, decidedBelow: readSlot(o[3], `${path}.decidedBelow`) };
}

function assertNever(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}

function readMessageType(value: unknown): MessageType {
  if (!Array.isArray(value)) throw invalidBody('paxos', 'a message array');
  const tag: unknown = value[0];
  if (!isInteger(tag, 0)) throw invalidBody('paxos[0]', 'a message type tag');
  const type = paxosTypeOfTag[tag];
  if (type === undefined) throw new WireError('unknown-type', `paxos message type tag ${tag}`);
  return type;
}

/** A ballot [round, proposerId]: round >= 0; proposerId may be empty only in ballot zero. */
function readBallot(value: unknown, path: string, limits: WireLimits): Ballot {
  return ballotOf(value, limits) ?? refuseBallot(value, path, limits);
}

/**
 * The ballot, or undefined when it is not one; no path is built, because a ballot comes with every
 * message and every entry: `refuseBallot` says what is wrong, and only for a bad one.
 */
function ballotOf(value: unknown, limits: WireLimits): Ballot | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const round: unknown = value[0];
  const proposerId: unknown = value[1];
  if (!isInteger(round, 0) || typeof proposerId !== 'string') return undefined;
  if (proposerId.length > limits.idLengthMax) return undefined;
  if (proposerId.length === 0 && round !== 0) return undefined;
  return { round, proposerId };
}

function refuseBallot(value: unknown, path: string, limits: WireLimits): never {
  const o = readTuple(value, path, 2);
  readNonNegativeInteger(o[0], `${path}.round`);
  readString(o[1], `${path}.proposerId`, limits.idLengthMax);
  throw invalidBody(`${path}.proposerId`, 'a proposer id (only ballot zero has none)');
}

function readSlot(value: unknown, path: string): number {
  return readNonNegativeInteger(value, path);
}

/**
 * A value as its encoded bytes (value-codec.ts: its commands are checked when a learner applies
 * them), or as a `{ commands }` map (a log of an earlier version sent on), checked here and now.
 */
function readValue(value: unknown, path: string, limits: WireLimits): Value {
  if (value instanceof EncodedValue) return value;
  const o = readRecord(value, path, ['commands']);
  return { commands: readCommands(o.commands, `${path}.commands`, limits) };
}

/** AcceptedEntry and DecidedEntry share one layout: [slot, ballot, value]. */
function readEntries(
  value: unknown,
  path: string,
  limits: WireLimits,
): (AcceptedEntry & DecidedEntry)[] {
  const entries = readArray(value, path, limits.entriesPerMessageMax);
  return entries.map((entry, index) => {
    const entryPath = `${path}[${index}]`;
    const o = readTuple(entry, entryPath, 3);
    return {
      slot: readSlot(o[0], `${entryPath}.slot`),
      ballot: readBallot(o[1], `${entryPath}.ballot`, limits),
      value: readValue(o[2], `${entryPath}.value`, limits),
    };
  });
}

/** A Decide's entries: [slot, ballot, value], the value nil in a commit notice. */
function readDecideEntries(value: unknown, path: string, limits: WireLimits): DecideEntry[] {
  const entries = readArray(value, path, limits.entriesPerMessageMax);
  const out = new Array<DecideEntry>(entries.length);
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index] as readonly unknown[];
    // Under load a Decide carries a commit notice per slot: paths are built only for a bad one.
    const ballot = Array.isArray(entry) ? ballotOf(entry[1], limits) : undefined;
    if (ballot === undefined || entry.length !== 3 || !isInteger(entry[0], 0)) {
      const entryPath = `${path}[${index}]`;
      const o = readTuple(entry, entryPath, 3);
      readSlot(o[0], `${entryPath}.slot`);
      return refuseBallot(o[1], `${entryPath}.ballot`, limits);
    }
    const slot = entry[0];
    out[index] =
      entry[2] === null
        ? { slot, ballot }
        : { slot, ballot, value: readValue(entry[2], `${path}[${index}].value`, limits) };
  }
  return out;
}

/** [floorSeq, appliedSeqs, lastSeq, lastResult, lastSlot] */
function readClientRecord(value: unknown, path: string, limits: WireLimits): ClientRecord {
  const o = readTuple(value, path, 5);
  const appliedSeqs = readArray(o[1], `${path}.appliedSeqs`, limits.appliedSeqsPerClientMax);
  return {
    floorSeq: readNonNegativeInteger(o[0], `${path}.floorSeq`),
    appliedSeqs: appliedSeqs.map((seq, index) =>
      readPositiveInteger(seq, `${path}.appliedSeqs[${index}]`),
    ),
    lastSeq: readNonNegativeInteger(o[2], `${path}.lastSeq`),
    lastResult: readPlainData(o[3], `${path}.lastResult`, limits.plainDataDepthMax),
    lastSlot: readSlot(o[4], `${path}.lastSlot`),
  };
}

/** [appliedThrough, state, clients, configurations, admissions]: the last two nil when absent. */
function readSnapshot(value: unknown, path: string, limits: WireLimits): Snapshot {
  const o = readTuple(value, path, 5);
  const clientsPath = `${path}.clients`;
  const clientsIn = readPlainObject(o[2], clientsPath);
  const clientIds = Object.keys(clientsIn);
  if (clientIds.length > limits.clientsPerSnapshotMax) {
    throw invalidBody(clientsPath, `at most ${limits.clientsPerSnapshotMax} clients`);
  }
  // A null prototype: client ids are data, and one named like an Object.prototype member must not
  // collide with it.
  const clients: Record<string, ClientRecord> = Object.create(null) as Record<string, ClientRecord>;
  for (const clientId of clientIds) {
    readId(clientId, `${clientsPath} key`, limits.idLengthMax);
    clients[clientId] = readClientRecord(clientsIn[clientId], `${clientsPath}.${clientId}`, limits);
  }
  return {
    // -1: nothing applied yet (the learner's starting point), so -1 is a legal if useless snapshot.
    appliedThrough: readInteger(o[0], `${path}.appliedThrough`, -1),
    state: readPlainData(o[1], `${path}.state`, limits.plainDataDepthMax),
    clients,
    ...(o[3] === null
      ? {}
      : { configurations: readConfigurationSteps(o[3], `${path}.configurations`, limits) }),
    ...(o[4] === null ? {} : { admissions: readAdmissions(o[4], `${path}.admissions`, limits) }),
  };
}

/** Re-admitted acceptors in a snapshot, at most (the paxos core's admissionsMax). */
const admissionsMax = 1024;

/** Each [acceptor, incarnation, fromSlot]. */
function readAdmissions(value: unknown, path: string, limits: WireLimits): Admission[] {
  return readArray(value, path, admissionsMax).map((admission, index) => {
    const at = `${path}[${index}]`;
    const o = readTuple(admission, at, 3);
    return {
      acceptor: readId(o[0], `${at}.acceptor`, limits.idLengthMax),
      incarnation: readPositiveInteger(o[1], `${at}.incarnation`),
      fromSlot: readSlot(o[2], `${at}.fromSlot`),
    };
  });
}

/** Steps of a configuration history, at most; one per slot of an α-window is already generous. */
const configurationStepsMax = 1024;
/** Acceptors in one configuration, at most (the paxos core's configurationAcceptorsMax). */
const configurationAcceptorsMax = 64;

/** Each [fromSlot, acceptors, phase1Quorum, phase2Quorum]. */
function readConfigurationSteps(
  value: unknown,
  path: string,
  limits: WireLimits,
): ConfigurationStep[] {
  const steps = readArray(value, path, configurationStepsMax);
  return steps.map((step, index) => {
    const at = `${path}[${index}]`;
    const o = readTuple(step, at, 4);
    const acceptors = readArray(o[1], `${at}.configuration.acceptors`, configurationAcceptorsMax);
    return {
      fromSlot: readSlot(o[0], `${at}.fromSlot`),
      configuration: {
        acceptors: acceptors.map((id, i) =>
          readId(id, `${at}.configuration.acceptors[${i}]`, limits.idLengthMax),
        ),
        phase1Quorum: readPositiveInteger(o[2], `${at}.configuration.phase1Quorum`),
        phase2Quorum: readPositiveInteger(o[3], `${at}.configuration.phase2Quorum`),
      },
    };
  });
}
