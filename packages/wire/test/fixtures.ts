import type { Message, MessageType } from '@evpaxos/paxos';

const ballot = { round: 3, proposerId: 'central-a' };
const value = {
  commands: [
    { clientId: 'cp1', seq: 1, payload: { type: 'Reserve', connectorId: 2, kw: 11.5 } },
    { clientId: 'ev-emulator', seq: 42, payload: ['nested', { deep: [null, true, 'x'] }] },
  ],
};

/** One message of every type in the catalogue: the compiler flags a type added without a sample. */
export const sampleMessages: { readonly [Type in MessageType]: Extract<Message, { type: Type }> } =
  {
    'pre-vote': { type: 'pre-vote', ballot },
    'pre-vote-reply': { type: 'pre-vote-reply', ballot, granted: false },
    prepare: { type: 'prepare', ballot, fromSlot: 7 },
    promise: {
      type: 'promise',
      ballot,
      accepted: [
        { slot: 7, ballot: { round: 2, proposerId: 'central-b' }, value },
        { slot: 8, ballot, value: { commands: [] } },
      ],
      truncatedBelow: 5,
    },
    accept: { type: 'accept', ballot, slot: 9, value },
    accepted: { type: 'accepted', ballot, slot: 9 },
    nack: {
      type: 'nack',
      ballot,
      promised: { round: 4, proposerId: 'central-b' },
      leaseLive: true,
    },
    // A value for a learner that is not an acceptor, then a commit notice (no value) for slot 10.
    decide: {
      type: 'decide',
      entries: [
        { slot: 9, ballot, value },
        { slot: 10, ballot },
      ],
    },
    heartbeat: { type: 'heartbeat', ballot, decidedBelow: 10 },
    'heartbeat-ack': { type: 'heartbeat-ack', ballot },
    'catchup-request': { type: 'catchup-request', fromSlot: 0 },
    'catchup-reply': {
      type: 'catchup-reply',
      snapshot: {
        appliedThrough: 1023,
        state: { chargePoints: { cp1: { limitW: 11000 } }, sessions: [] },
        clients: {
          cp1: {
            floorSeq: 3,
            appliedSeqs: [5, 6],
            lastSeq: 6,
            lastResult: { ok: true },
            lastSlot: 1020,
          },
        },
      },
      entries: [{ slot: 1024, ballot, value }],
    },
  };

export const allSampleMessages: readonly Message[] = Object.values(sampleMessages);
