import { messageTypes } from '@evpaxos/paxos';
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
  readArray,
  readId,
  readInteger,
  readNonNegativeInteger,
  readPlainData,
  readPlainObject,
  readPositiveInteger,
  readRecord,
  readString,
} from './check';
import type { WireLimits } from './constants';
import { WireError } from './errors';
import { EncodedValue, readCommands } from './value-codec';

/**
 * The strict validator for the Paxos message catalogue (packages/paxos/src/messages.ts).
 * It returns a fresh object built field by field, so what reaches `Node.step` has exactly the
 * declared shape: the compiler flags a required field added to the catalogue and not read here.
 */
export function validatePaxosMessage(value: unknown, limits: WireLimits): Message {
  const type = readMessageType(value);
  const path = type;
  switch (type) {
    case 'pre-vote': {
      const o = readRecord(value, path, ['type', 'ballot']);
      return { type, ballot: readBallot(o.ballot, `${path}.ballot`, limits) };
    }
    case 'pre-vote-reply':
      return readPreVoteReply(value, path, limits);
    case 'prepare': {
      const o = readRecord(value, path, ['type', 'ballot', 'fromSlot']);
      return {
        type,
        ballot: readBallot(o.ballot, `${path}.ballot`, limits),
        fromSlot: readSlot(o.fromSlot, `${path}.fromSlot`),
      };
    }
    case 'promise': {
      const o = readRecord(value, path, [
        'type',
        'ballot',
        'accepted',
        'truncatedBelow',
        'part',
        'parts',
      ]);
      const promise = {
        type,
        ballot: readBallot(o.ballot, `${path}.ballot`, limits),
        accepted: readEntries(o.accepted, `${path}.accepted`, limits),
        truncatedBelow: readSlot(o.truncatedBelow, `${path}.truncatedBelow`),
      };
      // Absent fields may arrive as keys holding undefined (msgpackr keeps the key).
      if (o.part === undefined && o.parts === undefined) return promise;
      const parts = readPositiveInteger(o.parts, `${path}.parts`);
      if (parts > limits.promisePartsMax) {
        throw invalidBody(`${path}.parts`, `at most ${limits.promisePartsMax}`);
      }
      const part = readNonNegativeInteger(o.part, `${path}.part`);
      if (part >= parts) throw invalidBody(`${path}.part`, `below parts (${parts})`);
      return { ...promise, part, parts };
    }
    case 'accept': {
      const o = readRecord(value, path, ['type', 'ballot', 'slot', 'value']);
      return {
        type,
        ballot: readBallot(o.ballot, `${path}.ballot`, limits),
        slot: readSlot(o.slot, `${path}.slot`),
        value: readValue(o.value, `${path}.value`, limits),
      };
    }
    case 'accepted': {
      const o = readRecord(value, path, ['type', 'ballot', 'slot']);
      return {
        type,
        ballot: readBallot(o.ballot, `${path}.ballot`, limits),
        slot: readSlot(o.slot, `${path}.slot`),
      };
    }
    case 'nack':
      return readNack(value, path, limits);
    case 'decide': {
      const o = readRecord(value, path, ['type', 'entries']);
      return { type, entries: readDecideEntries(o.entries, `${path}.entries`, limits) };
    }
    case 'heartbeat': {
      const o = readRecord(value, path, ['type', 'ballot', 'decidedBelow']);
      return {
        type,
        ballot: readBallot(o.ballot, `${path}.ballot`, limits),
        decidedBelow: readSlot(o.decidedBelow, `${path}.decidedBelow`),
      };
    }
    case 'heartbeat-ack': {
      const o = readRecord(value, path, ['type', 'ballot']);
      return { type, ballot: readBallot(o.ballot, `${path}.ballot`, limits) };
    }
    case 'catchup-request': {
      const o = readRecord(value, path, ['type', 'fromSlot']);
      return { type, fromSlot: readSlot(o.fromSlot, `${path}.fromSlot`) };
    }
    case 'catchup-reply': {
      const o = readRecord(value, path, ['type', 'snapshot', 'entries']);
      const entries = readEntries(o.entries, `${path}.entries`, limits);
      // An absent snapshot may arrive as a key holding undefined (msgpackr keeps the key).
      if (o.snapshot === undefined) return { type, entries };
      return { type, snapshot: readSnapshot(o.snapshot, `${path}.snapshot`, limits), entries };
    }
    default:
      return assertNever(type);
  }
}

function readNack(value: unknown, path: string, limits: WireLimits): Message {
  const o = readRecord(value, path, ['type', 'ballot', 'promised', 'decidedBelow', 'leaseLive']);
  const nack = {
    type: 'nack' as const,
    ballot: readBallot(o.ballot, `${path}.ballot`, limits),
    promised: readBallot(o.promised, `${path}.promised`, limits),
  };
  if (o.leaseLive !== undefined && o.leaseLive !== true) {
    throw invalidBody(`${path}.leaseLive`, 'true or absent');
  }
  const lease = o.leaseLive === true ? { leaseLive: true as const } : {};
  // An absent decidedBelow may arrive as a key holding undefined (msgpackr keeps the key).
  if (o.decidedBelow === undefined) return { ...nack, ...lease };
  return { ...nack, ...lease, decidedBelow: readSlot(o.decidedBelow, `${path}.decidedBelow`) };
}

function assertNever(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}

function readMessageType(value: unknown): MessageType {
  if (typeof value !== 'object' || value === null) throw invalidBody('paxos', 'a message object');
  const type: unknown = (value as { type?: unknown }).type;
  if (typeof type !== 'string') throw invalidBody('paxos.type', 'a message type');
  if (!(messageTypes as readonly string[]).includes(type)) {
    throw new WireError('unknown-type', `paxos message type ${JSON.stringify(type.slice(0, 64))}`);
  }
  return type as MessageType;
}

/** A ballot: round >= 0; proposerId may be empty only in ballotZero (round 0). */
function readBallot(value: unknown, path: string, limits: WireLimits): Ballot {
  const o = readRecord(value, path, ['round', 'proposerId']);
  const round = readNonNegativeInteger(o.round, `${path}.round`);
  const proposerId = readString(o.proposerId, `${path}.proposerId`, limits.idLengthMax);
  if (proposerId.length === 0 && round !== 0) {
    throw invalidBody(`${path}.proposerId`, 'a proposer id (only ballot zero has none)');
  }
  return { round, proposerId };
}

function readSlot(value: unknown, path: string): number {
  return readNonNegativeInteger(value, path);
}

/**
 * A value as its encoded bytes (value-codec.ts: its commands are checked when a learner applies
 * them), or, from a peer or a log of an earlier version, as a map checked here and now.
 */
function readValue(value: unknown, path: string, limits: WireLimits): Value {
  if (value instanceof EncodedValue) return value;
  const o = readRecord(value, path, ['commands']);
  return { commands: readCommands(o.commands, `${path}.commands`, limits) };
}

/** AcceptedEntry and DecidedEntry share one shape: slot, ballot, value. */
function readEntries(
  value: unknown,
  path: string,
  limits: WireLimits,
): (AcceptedEntry & DecidedEntry)[] {
  const entries = readArray(value, path, limits.entriesPerMessageMax);
  return entries.map((entry, index) => {
    const entryPath = `${path}[${index}]`;
    const o = readRecord(entry, entryPath, ['slot', 'ballot', 'value']);
    return {
      slot: readSlot(o.slot, `${entryPath}.slot`),
      ballot: readBallot(o.ballot, `${entryPath}.ballot`, limits),
      value: readValue(o.value, `${entryPath}.value`, limits),
    };
  });
}

/** A Decide's entries: slot and ballot, and the value unless it is a commit notice. */
function readDecideEntries(value: unknown, path: string, limits: WireLimits): DecideEntry[] {
  const entries = readArray(value, path, limits.entriesPerMessageMax);
  return entries.map((entry, index) => {
    const entryPath = `${path}[${index}]`;
    const o = readRecord(entry, entryPath, ['slot', 'ballot', 'value']);
    const slot = readSlot(o.slot, `${entryPath}.slot`);
    const ballot = readBallot(o.ballot, `${entryPath}.ballot`, limits);
    // An absent value may arrive as a key holding undefined (msgpackr keeps the key).
    if (o.value === undefined) return { slot, ballot };
    return { slot, ballot, value: readValue(o.value, `${entryPath}.value`, limits) };
  });
}

function readClientRecord(value: unknown, path: string, limits: WireLimits): ClientRecord {
  const o = readRecord(value, path, [
    'floorSeq',
    'appliedSeqs',
    'lastSeq',
    'lastResult',
    'lastSlot',
  ]);
  const appliedSeqs = readArray(
    o.appliedSeqs,
    `${path}.appliedSeqs`,
    limits.appliedSeqsPerClientMax,
  );
  return {
    floorSeq: readNonNegativeInteger(o.floorSeq, `${path}.floorSeq`),
    appliedSeqs: appliedSeqs.map((seq, index) =>
      readPositiveInteger(seq, `${path}.appliedSeqs[${index}]`),
    ),
    lastSeq: readNonNegativeInteger(o.lastSeq, `${path}.lastSeq`),
    lastResult: readPlainData(o.lastResult, `${path}.lastResult`, limits.plainDataDepthMax),
    lastSlot: readSlot(o.lastSlot, `${path}.lastSlot`),
  };
}

function readSnapshot(value: unknown, path: string, limits: WireLimits): Snapshot {
  const o = readRecord(value, path, [
    'appliedThrough',
    'state',
    'clients',
    'configurations',
    'admissions',
  ]);
  const clientsPath = `${path}.clients`;
  const clientsIn = readPlainObject(o.clients, clientsPath);
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
    appliedThrough: readInteger(o.appliedThrough, `${path}.appliedThrough`, -1),
    state: readPlainData(o.state, `${path}.state`, limits.plainDataDepthMax),
    clients,
    ...(o.configurations === undefined
      ? {}
      : {
          configurations: readConfigurationSteps(
            o.configurations,
            `${path}.configurations`,
            limits,
          ),
        }),
    ...(o.admissions === undefined
      ? {}
      : { admissions: readAdmissions(o.admissions, `${path}.admissions`, limits) }),
  };
}

/** Re-admitted acceptors in a snapshot, at most (the paxos core's admissionsMax). */
const admissionsMax = 1024;

function readAdmissions(value: unknown, path: string, limits: WireLimits): Admission[] {
  return readArray(value, path, admissionsMax).map((admission, index) => {
    const at = `${path}[${index}]`;
    const o = readRecord(admission, at, ['acceptor', 'incarnation', 'fromSlot']);
    return {
      acceptor: readId(o.acceptor, `${at}.acceptor`, limits.idLengthMax),
      incarnation: readPositiveInteger(o.incarnation, `${at}.incarnation`),
      fromSlot: readSlot(o.fromSlot, `${at}.fromSlot`),
    };
  });
}

/** Steps of a configuration history, at most; one per slot of an α-window is already generous. */
const configurationStepsMax = 1024;
/** Acceptors in one configuration, at most (the paxos core's configurationAcceptorsMax). */
const configurationAcceptorsMax = 64;

function readConfigurationSteps(
  value: unknown,
  path: string,
  limits: WireLimits,
): ConfigurationStep[] {
  const steps = readArray(value, path, configurationStepsMax);
  return steps.map((step, index) => {
    const at = `${path}[${index}]`;
    const o = readRecord(step, at, ['fromSlot', 'configuration']);
    const c = readRecord(o.configuration, `${at}.configuration`, [
      'acceptors',
      'phase1Quorum',
      'phase2Quorum',
    ]);
    const acceptors = readArray(
      c.acceptors,
      `${at}.configuration.acceptors`,
      configurationAcceptorsMax,
    );
    return {
      fromSlot: readSlot(o.fromSlot, `${at}.fromSlot`),
      configuration: {
        acceptors: acceptors.map((id, i) =>
          readId(id, `${at}.configuration.acceptors[${i}]`, limits.idLengthMax),
        ),
        phase1Quorum: readPositiveInteger(c.phase1Quorum, `${at}.configuration.phase1Quorum`),
        phase2Quorum: readPositiveInteger(c.phase2Quorum, `${at}.configuration.phase2Quorum`),
      },
    };
  });
}

function readPreVoteReply(value: unknown, path: string, limits: WireLimits): Message {
  const o = readRecord(value, path, ['type', 'ballot', 'granted']);
  if (typeof o.granted !== 'boolean') throw invalidBody(`${path}.granted`, 'a boolean');
  return {
    type: 'pre-vote-reply',
    ballot: readBallot(o.ballot, `${path}.ballot`, limits),
    granted: o.granted,
  };
}
