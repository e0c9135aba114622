import { expect } from 'chai';
import * as fc from 'fast-check';
import { Packr, pack, unpack } from 'msgpackr';
import type { Message } from '@evpaxos/paxos';
import {
  ENCODED_VALUE_EXT_TYPE,
  EncodedValue,
  EnvelopeCodec,
  WireError,
  concatFrames,
  clusterCodec,
  createClusterCodec,
  decodeEnvelope,
  encodeEnvelope,
  encodeMessageOnce,
  encodeValue,
  onInvalidValue,
  readId,
  readRecord,
  type WireErrorCode,
  WIRE_VERSION,
  encodePaxosMessage,
  paxosLayouts,
} from '../src';
import { allSampleMessages, sampleMessages } from './fixtures';

// What a hostile or differently configured peer could send: msgpackr's extensions switched on.
const extendedPackr = new Packr({ moreTypes: true, useBigIntExtension: true, useRecords: false });

/**
 * A `paxos` frame of `body` written as a map (possibly malformed) and laid out as the wire does,
 * values left as they are given; fields the catalogue does not declare go after the layout's.
 */
function paxosFrame(body: unknown): Uint8Array {
  return extendedPackr.pack([WIRE_VERSION, 'paxos', wireLayoutOf(body)]);
}

function wireLayoutOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const fields = body as Record<string, unknown>;
  const layout = (paxosLayouts as Record<string, { fields: readonly string[] } | undefined>)[
    String(fields.type)
  ];
  const extras = Object.keys(fields)
    .filter((key) => key !== 'type' && !(layout?.fields ?? []).includes(key))
    .map((key) => fields[key]);
  // An unknown type string becomes a tag no layout has; a missing one stays missing.
  if (layout === undefined) return [typeof fields.type === 'string' ? 99 : fields.type, ...extras];
  return [...encodePaxosMessage(body as Message, false), ...extras];
}

function expectWireError(run: () => unknown, code: WireErrorCode): WireError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(WireError);
    expect((error as WireError).code).to.equal(code);
    return error as WireError;
  }
  expect.fail(`expected WireError ${code}, nothing was thrown`);
}

function expectInvalid(body: unknown, code: WireErrorCode = 'invalid-body'): WireError {
  return expectWireError(() => decodeEnvelope(paxosFrame(body)), code);
}

/** The message with every encoded slot value read back as its commands: what a learner sees. */
function plain(value: unknown): unknown {
  if (value instanceof EncodedValue) return { commands: value.commands };
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
}

const nonce = new Uint8Array(32).fill(7);
const proof = new Uint8Array(32).fill(9);

describe('wire: envelope codec', () => {
  describe('round trip', () => {
    for (const message of allSampleMessages) {
      it(`decodes an encoded ${message.type} to an equal message`, () => {
        const decoded = decodeEnvelope(
          encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message }),
        );
        expect(plain(decoded)).to.deep.equal({ v: WIRE_VERSION, kind: 'paxos', body: message });
      });
    }

    it('decodes every handshake kind to an equal body', () => {
      const envelopes = [
        {
          v: WIRE_VERSION,
          kind: 'hello',
          body: { clusterId: 'site-1', nodeId: 'cp1', peerId: 'cp2', nonce },
        },
        { v: WIRE_VERSION, kind: 'challenge', body: { nodeId: 'cp2', nonce, proof } },
        { v: WIRE_VERSION, kind: 'proof', body: { proof } },
        { v: WIRE_VERSION, kind: 'welcome', body: {} },
      ] as const;
      for (const envelope of envelopes) {
        const bytes = encodeEnvelope(envelope);
        const decoded = decodeEnvelope(bytes);
        expect(decoded.kind).to.equal(envelope.kind);
        expect(Buffer.from(encodeEnvelope(decoded)).equals(Buffer.from(bytes))).to.equal(true);
      }
    });

    it('keeps a catch-up reply without a snapshot free of a snapshot key', () => {
      const message: Message = { type: 'catchup-reply', snapshot: undefined, entries: [] };
      const decoded = decodeEnvelope(
        encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message }),
      );
      expect(decoded.body).to.deep.equal({ type: 'catchup-reply', entries: [] });
    });

    it('carries a snapshot’s configuration history (membership change)', () => {
      const configurations = [
        {
          fromSlot: 9,
          configuration: { acceptors: ['cp1', 'cp6'], phase1Quorum: 2, phase2Quorum: 2 },
        },
      ];
      const message: Message = {
        type: 'catchup-reply',
        entries: [],
        snapshot: { appliedThrough: 3, state: null, clients: {}, configurations },
      };
      const decoded = decodeEnvelope(
        encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message }),
      );
      expect(plain(decoded.body)).to.deep.equal(message);
    });

    it('carries a snapshot’s re-admissions, and refuses a malformed one', () => {
      const admissions = [{ acceptor: 'cp2', incarnation: 7, fromSlot: 70 }];
      const message: Message = {
        type: 'catchup-reply',
        entries: [],
        snapshot: { appliedThrough: 80, state: null, clients: {}, admissions },
      };
      const decoded = decodeEnvelope(
        encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message }),
      );
      expect(plain(decoded.body)).to.deep.equal(message);
      const bad = {
        ...message,
        snapshot: { ...message.snapshot, admissions: [{ acceptor: 'cp2', incarnation: 0 }] },
      } as unknown as Message;
      expect(() =>
        decodeEnvelope(encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: bad })),
      ).to.throw();
    });

    it('drops fields the caller added to the envelope', () => {
      const envelope = {
        v: WIRE_VERSION,
        kind: 'paxos',
        body: sampleMessages.accepted,
        extra: 'x',
      } as const;
      expect(decodeEnvelope(encodeEnvelope(envelope))).to.not.have.property('extra');
    });

    it('round-trips accept messages with arbitrary JSON payloads (property)', () => {
      const payload = fc
        .jsonValue({ maxDepth: 5 })
        .map((json) => JSON.parse(JSON.stringify(json)) as unknown)
        // msgpackr decodes a key named __proto__ as __proto_ (its prototype-pollution guard), so
        // such a key cannot round-trip; payloads are application data and never use it.
        .filter((json) => !JSON.stringify(json).includes('"__proto__"'));
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              clientId: fc.string({ minLength: 1, maxLength: 20 }),
              seq: fc.integer({ min: 1 }),
              payload,
            }),
            { maxLength: 10 },
          ),
          fc.nat(),
          (commands, slot) => {
            const message: Message = {
              type: 'accept',
              ballot: { round: 1, proposerId: 'a' },
              slot,
              value: { commands },
            };
            const decoded = decodeEnvelope(
              encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message }),
            );
            expect(plain(decoded.body)).to.deep.equal(message);
          },
        ),
        { numRuns: 200, seed: 20_240_601 },
      );
    });
  });

  describe('positional layout (version 2)', () => {
    it('gives every message type its own tag, and sends each as [tag, ...fields]', () => {
      const tags = Object.values(paxosLayouts).map((layout) => layout.tag);
      expect(new Set(tags).size).to.equal(tags.length);
      for (const message of allSampleMessages) {
        const layout = paxosLayouts[message.type];
        const [version, kind, body] = unpack(
          Buffer.from(encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message })),
        ) as [number, string, unknown[]];
        expect([version, kind]).to.deep.equal([2, 'paxos']);
        expect(body).to.have.length(layout.fields.length + 1);
        expect(body[0]).to.equal(layout.tag);
      }
    });

    it('refuses a message with an item more or less than its layout: invalid-body', () => {
      const heartbeat = encodePaxosMessage(sampleMessages.heartbeat);
      for (const body of [heartbeat.slice(0, -1), [...heartbeat, 0]]) {
        const error = expectWireError(
          () => decodeEnvelope(pack([WIRE_VERSION, 'paxos', body])),
          'invalid-body',
        );
        expect(error.message).to.contain('heartbeat: expected an array of 3 items');
      }
    });

    it('refuses a tag no message type has: unknown-type', () => {
      expectWireError(() => decodeEnvelope(pack([WIRE_VERSION, 'paxos', [12]])), 'unknown-type');
      expectWireError(() => decodeEnvelope(pack([WIRE_VERSION, 'paxos', [-1]])), 'invalid-body');
    });
  });

  describe('encodeOnce', () => {
    it('encodes one message object once for any number of peers', () => {
      const message: Message = {
        type: 'heartbeat',
        ballot: { round: 1, proposerId: 'a' },
        decidedBelow: 0,
      };
      const first = encodeMessageOnce(message);
      expect(encodeMessageOnce(message)).to.equal(first);
      expect(clusterCodec.encodeOnce('paxos', message)).to.equal(first);
    });

    it('encodes an equal but distinct object again', () => {
      const a: Message = { type: 'catchup-request', fromSlot: 1 };
      const b: Message = { type: 'catchup-request', fromSlot: 1 };
      expect(encodeMessageOnce(a)).to.not.equal(encodeMessageOnce(b));
      expect(Buffer.from(encodeMessageOnce(a)).equals(Buffer.from(encodeMessageOnce(b)))).to.equal(
        true,
      );
    });
  });

  describe('slot values as the bytes the leader encoded', () => {
    const accept = sampleMessages.accept as Extract<Message, { type: 'accept' }>;

    it('carries a value as one MessagePack extension that an acceptor keeps undecoded', () => {
      const decoded = decodeEnvelope(
        encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: accept }),
      );
      const value = (decoded.body as typeof accept).value;
      expect(value).to.be.instanceOf(EncodedValue);
      const bytes = (value as EncodedValue).bytes;
      expect(value.encodedBytes).to.equal(bytes.length);
      // Each command positional: [clientId, seq, payload].
      const positional = accept.value.commands.map((c) => [c.clientId, c.seq, c.payload]);
      expect(Buffer.from(pack(positional)).equals(bytes)).to.equal(true);
      // Sent on as it arrived (a Promise, a catch-up reply): the same bytes, not encoded again.
      expect(encodeValue(value)).to.equal(value);
      const again = decodeEnvelope(
        encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: { ...accept, value } }),
      );
      expect((again.body as typeof accept).value.commands).to.deep.equal(accept.value.commands);
    });

    it('encodes a value object once, however often it is sent', () => {
      const value = { commands: accept.value.commands };
      expect(encodeValue(value)).to.equal(encodeValue(value));
    });

    it('reads a value that does not decode to commands as none, the same on every replica, and says why', () => {
      const reasons: string[] = [];
      const stop = onInvalidValue((reason) => reasons.push(reason));
      try {
        for (const bad of [[{ clientId: '', seq: 1, payload: null }], 'not commands', { seq: 0 }]) {
          const value = new EncodedValue(Buffer.from(pack(bad)));
          expect(value.commands).to.deep.equal([]);
        }
        const truncated = new EncodedValue(Buffer.from(pack(accept.value.commands)).subarray(0, 5));
        expect(truncated.commands).to.deep.equal([]);
      } finally {
        stop();
      }
      expect(reasons).to.have.length(4);
      expect(reasons[0]).to.match(/clientId/);
    });

    it('reads a value of positional commands, and refuses a bad one naming the field', () => {
      const reasons: string[] = [];
      const stop = onInvalidValue((reason) => reasons.push(reason));
      try {
        const good = new EncodedValue(Buffer.from(pack([['cp1', 3, { type: 'x' }]])));
        expect(good.commands).to.deep.equal([{ clientId: 'cp1', seq: 3, payload: { type: 'x' } }]);
        for (const bad of [[['cp1', 0, null]], [['cp1', 1]], [['cp1', 1, null, 'extra']]]) {
          expect(new EncodedValue(Buffer.from(pack(bad))).commands).to.deep.equal([]);
        }
      } finally {
        stop();
      }
      expect(reasons).to.have.length(3);
      expect(reasons[0]).to.contain('value.commands[0].seq');
      expect(reasons[1]).to.contain('value.commands[0]: expected an array of 3 items');
    });

    it('reads values logged before commands were positional (maps), the same as positional ones', () => {
      const commands = accept.value.commands;
      const logged = new EncodedValue(Buffer.from(pack(commands)));
      expect(logged.commands).to.deep.equal(encodeValue({ commands }).commands);
    });

    it('still takes a value sent as a map (an earlier version), checked at once', () => {
      const decoded = decodeEnvelope(paxosFrame(accept));
      expect((decoded.body as typeof accept).value).to.deep.equal(accept.value);
      expectInvalid({ ...accept, value: { commands: [{ clientId: 'c', seq: 0, payload: 1 }] } });
    });

    it('refuses an encoded value where a client payload or another field is expected', () => {
      const smuggled = new EncodedValue(Buffer.from(pack([])));
      expectInvalid({ ...accept, ballot: smuggled });
      const value = { commands: [{ clientId: 'c', seq: 1, payload: smuggled }] };
      expectInvalid({ ...accept, value });
      expect(ENCODED_VALUE_EXT_TYPE).to.equal(0x56);
    });
  });

  describe('several envelopes in one frame', () => {
    const frameOf = (...messages: Message[]) =>
      concatFrames(
        messages.map((body) => encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body })),
      );

    it('decodes every envelope of a frame, in order (decodeAll)', () => {
      const messages = [sampleMessages.decide, sampleMessages.accept, sampleMessages.heartbeat];
      const envelopes = clusterCodec.decodeAll(frameOf(...messages));
      expect(envelopes.map((envelope) => plain(envelope.body))).to.deep.equal(messages);
    });

    it('refuses the whole frame when any envelope is bad: invalid-body', () => {
      const bad = paxosFrame({ type: 'accepted', slot: -1 });
      const frame = Buffer.concat([frameOf(sampleMessages.accept), bad]);
      expectWireError(() => clusterCodec.decodeAll(frame), 'invalid-body');
    });

    it('refuses more envelopes than envelopesPerFrameMax: malformed-frame', () => {
      const codec = createClusterCodec({ envelopesPerFrameMax: 2 });
      const heartbeat = sampleMessages.heartbeat;
      expect(codec.decodeAll(frameOf(heartbeat, heartbeat))).to.have.length(2);
      expectWireError(
        () => codec.decodeAll(frameOf(heartbeat, heartbeat, heartbeat)),
        'malformed-frame',
      );
    });

    it('refuses several envelopes where exactly one is expected (decode): malformed-frame', () => {
      const heartbeat = sampleMessages.heartbeat;
      expectWireError(() => decodeEnvelope(frameOf(heartbeat, heartbeat)), 'malformed-frame');
    });
  });

  describe('errors', () => {
    it('refuses a frame larger than maxFrameBytes before decoding it: frame-too-large', () => {
      const bytes = encodeEnvelope({
        v: WIRE_VERSION,
        kind: 'paxos',
        body: sampleMessages.promise,
      });
      expectWireError(
        () => decodeEnvelope(bytes, { maxFrameBytes: bytes.length - 1 }),
        'frame-too-large',
      );
      expect(decodeEnvelope(bytes, { maxFrameBytes: bytes.length }).kind).to.equal('paxos');
    });

    it('refuses to encode a frame its receiver would refuse: frame-too-large', () => {
      const small = createClusterCodec({ maxFrameBytes: 64 });
      expectWireError(
        () => small.encode({ v: WIRE_VERSION, kind: 'paxos', body: sampleMessages.promise }),
        'frame-too-large',
      );
    });

    it('refuses bytes that are not MessagePack: malformed-frame', () => {
      expectWireError(() => decodeEnvelope(new Uint8Array([])), 'malformed-frame');
      expectWireError(() => decodeEnvelope(new Uint8Array([0xc1, 0xc1])), 'malformed-frame');
      expectWireError(() => decodeEnvelope(Buffer.from('{"v":1}')), 'malformed-frame');
    });

    it('refuses trailing bytes after the envelope: malformed-frame', () => {
      const bytes = encodeEnvelope({ v: WIRE_VERSION, kind: 'welcome', body: {} });
      expectWireError(
        () => decodeEnvelope(Buffer.concat([bytes, Buffer.from([0])])),
        'malformed-frame',
      );
    });

    it('refuses a value that is not a [v, kind, body] envelope: malformed-frame', () => {
      for (const value of [
        null,
        42,
        'paxos',
        [WIRE_VERSION, 'welcome'],
        [WIRE_VERSION, 'welcome', {}, 1],
        ['2', 'welcome', {}],
        [WIRE_VERSION, 7, {}],
        { kind: 'welcome', body: {} },
        { v: '1', kind: 'welcome', body: {} },
        { v: WIRE_VERSION, kind: 'welcome', body: {} },
      ]) {
        expectWireError(() => decodeEnvelope(pack(value)), 'malformed-frame');
      }
    });

    it('refuses deeply nested input without overflowing into a crash: malformed-frame', () => {
      expectWireError(() => decodeEnvelope(Buffer.alloc(200_000, 0x91)), 'malformed-frame');
    });

    it('refuses another envelope version: unsupported-version', () => {
      expectWireError(
        () => decodeEnvelope(pack([WIRE_VERSION + 1, 'welcome', {}])),
        'unsupported-version',
      );
      expectWireError(() => decodeEnvelope(pack([0, 'paxos', {}])), 'unsupported-version');
    });

    it('refuses a version 1 frame (maps on the wire) and says so: unsupported-version', () => {
      const hello = { clusterId: 's', nodeId: 'a', peerId: 'b', nonce };
      const error = expectWireError(
        () => decodeEnvelope(pack({ v: 1, kind: 'hello', body: hello })),
        'unsupported-version',
      );
      expect(error.message).to.contain('version 1 (a { v, kind, body } map), expected 2');
      expectWireError(
        () => decodeEnvelope(pack({ v: 1, kind: 'paxos', body: sampleMessages.heartbeat })),
        'unsupported-version',
      );
    });

    it('refuses an unregistered envelope kind: unknown-type', () => {
      expectWireError(() => decodeEnvelope(pack([WIRE_VERSION, 'gossip', {}])), 'unknown-type');
    });

    it('refuses an unknown Paxos message type: unknown-type', () => {
      expectInvalid({ type: 'teleport', ballot: { round: 1, proposerId: 'a' } }, 'unknown-type');
    });

    it('names the offending field in an invalid-body error', () => {
      const error = expectInvalid({
        ...sampleMessages.accept,
        ballot: { round: -1, proposerId: 'a' },
      });
      expect(error.message).to.contain('accept.ballot.round');
    });
  });

  describe('paxos validation (untrusted input)', () => {
    const ballot = { round: 1, proposerId: 'central-a' };
    const accept = (patch: Record<string, unknown>) => ({ ...sampleMessages.accept, ...patch });
    const command = (patch: Record<string, unknown>) =>
      accept({ value: { commands: [{ clientId: 'cp1', seq: 1, payload: null, ...patch }] } });

    const cases: [string, unknown][] = [
      ['a body that is not an object', 'prepare'],
      ['a message without a type', { ballot, fromSlot: 0 }],
      [
        'a field the catalogue does not declare',
        { type: 'accepted', ballot, slot: 1, leader: 'x' },
      ],
      ['a missing field', { type: 'accepted', ballot }],
      [
        'a negative ballot round',
        { type: 'prepare', ballot: { round: -1, proposerId: 'a' }, fromSlot: 0 },
      ],
      [
        'a fractional ballot round',
        { type: 'prepare', ballot: { round: 1.5, proposerId: 'a' }, fromSlot: 0 },
      ],
      [
        'a ballot round beyond 2^53',
        { type: 'prepare', ballot: { round: 2 ** 60, proposerId: 'a' }, fromSlot: 0 },
      ],
      [
        'a ballot without a proposer above round 0',
        { type: 'prepare', ballot: { round: 1, proposerId: '' }, fromSlot: 0 },
      ],
      [
        'a numeric proposer id',
        { type: 'prepare', ballot: { round: 1, proposerId: 7 }, fromSlot: 0 },
      ],
      [
        'an over-long proposer id',
        { type: 'prepare', ballot: { round: 1, proposerId: 'x'.repeat(129) }, fromSlot: 0 },
      ],
      ['a negative slot', accept({ slot: -1 })],
      ['a string slot', accept({ slot: '3' })],
      ['a NaN slot', accept({ slot: NaN })],
      ['a value without commands', accept({ value: {} })],
      ['commands that are not an array', accept({ value: { commands: {} } })],
      ['a command with seq 0', command({ seq: 0 })],
      ['a command with an empty client id', command({ clientId: '' })],
      ['a payload holding a Date', command({ payload: { at: new Date(0) } })],
      ['a payload holding a Set', command({ payload: new Set([1]) })],
      ['a payload holding a BigInt', command({ payload: 2n ** 70n })],
      ['a payload holding Infinity', command({ payload: Infinity })],
      [
        'a payload nested too deeply',
        command({ payload: JSON.parse('['.repeat(40) + ']'.repeat(40)) }),
      ],
      [
        'too many commands in a value',
        accept({
          value: {
            commands: Array.from({ length: 1025 }, (_, index) => ({
              clientId: 'c',
              seq: index + 1,
              payload: null,
            })),
          },
        }),
      ],
      [
        'too many entries in a decide',
        {
          type: 'decide',
          entries: Array.from({ length: 4097 }, (_, slot) => ({
            slot,
            ballot,
            value: { commands: [] },
          })),
        },
      ],
      [
        'an entry without a ballot',
        { type: 'decide', entries: [{ slot: 1, value: { commands: [] } }] },
      ],
      [
        'a snapshot without clients',
        { type: 'catchup-reply', entries: [], snapshot: { appliedThrough: 3, state: null } },
      ],
      [
        'a snapshot applied through -2',
        {
          type: 'catchup-reply',
          entries: [],
          snapshot: { appliedThrough: -2, state: null, clients: {} },
        },
      ],
      [
        'a client record with a negative floor',
        {
          type: 'catchup-reply',
          entries: [],
          snapshot: {
            appliedThrough: 3,
            state: null,
            clients: {
              c: { floorSeq: -1, appliedSeqs: [], lastSeq: 0, lastResult: null, lastSlot: 0 },
            },
          },
        },
      ],
      [
        'a client record with seq 0 applied',
        {
          type: 'catchup-reply',
          entries: [],
          snapshot: {
            appliedThrough: 3,
            state: null,
            clients: {
              c: { floorSeq: 0, appliedSeqs: [0], lastSeq: 0, lastResult: null, lastSlot: 0 },
            },
          },
        },
      ],
      [
        'a configuration with quorum 0',
        {
          type: 'catchup-reply',
          entries: [],
          snapshot: {
            appliedThrough: 3,
            state: null,
            clients: {},
            configurations: [
              {
                fromSlot: 9,
                configuration: { acceptors: ['a'], phase1Quorum: 0, phase2Quorum: 1 },
              },
            ],
          },
        },
      ],
      ['a nack without promised', { type: 'nack', ballot }],
      [
        'a promise part at or beyond its parts',
        { type: 'promise', ballot, accepted: [], truncatedBelow: 0, part: 2, parts: 2 },
      ],
      [
        'a promise part without parts',
        { type: 'promise', ballot, accepted: [], truncatedBelow: 0, part: 0 },
      ],
      [
        'a promise in more parts than promisePartsMax',
        { type: 'promise', ballot, accepted: [], truncatedBelow: 0, part: 0, parts: 1025 },
      ],
      [
        'a nack behind a negative slot',
        { type: 'nack', ballot, promised: ballot, decidedBelow: -1 },
      ],
      [
        'a nack whose leaseLive is not true',
        { type: 'nack', ballot, promised: ballot, leaseLive: 1 },
      ],
    ];
    for (const [name, body] of cases) {
      it(`refuses ${name}: invalid-body`, () => {
        expectInvalid(body);
      });
    }

    it('accepts ballot zero, whose proposer id is empty', () => {
      const message = { type: 'nack', ballot: { round: 0, proposerId: '' }, promised: ballot };
      expect(decodeEnvelope(paxosFrame(message)).body).to.deep.equal(message);
    });

    it('refuses handshake bodies with nonces or proofs of the wrong length: invalid-body', () => {
      const short = new Uint8Array(31);
      expectWireError(
        () =>
          decodeEnvelope(
            pack([
              WIRE_VERSION,
              'hello',
              { clusterId: 's', nodeId: 'a', peerId: 'b', nonce: short },
            ]),
          ),
        'invalid-body',
      );
      expectWireError(
        () => decodeEnvelope(pack([WIRE_VERSION, 'proof', { proof: 'x'.repeat(32) }])),
        'invalid-body',
      );
      expectWireError(
        () => decodeEnvelope(pack([WIRE_VERSION, 'welcome', { admin: true }])),
        'invalid-body',
      );
    });
  });

  describe('protocols registering their own kinds', () => {
    interface Submit {
      clientId: string;
      seq: number;
    }
    const validateSubmit = (body: unknown, limits: { idLengthMax: number }): Submit => {
      const o = readRecord(body, 'submit', ['clientId', 'seq']);
      return {
        clientId: readId(o.clientId, 'submit.clientId', limits.idLengthMax),
        seq: Number(o.seq),
      };
    };

    it('accepts the new kinds alongside the cluster kinds', () => {
      const codec = clusterCodec.extend({ submit: validateSubmit });
      const decoded = codec.decode(
        codec.encode({ v: WIRE_VERSION, kind: 'submit', body: { clientId: 'ev1', seq: 1 } }),
      );
      expect(decoded).to.deep.equal({
        v: WIRE_VERSION,
        kind: 'submit',
        body: { clientId: 'ev1', seq: 1 },
      });
      expect(
        codec.decode(
          encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: sampleMessages.heartbeat }),
        ).kind,
      ).to.equal('paxos');
    });

    it('leaves the codec it extends unchanged', () => {
      clusterCodec.extend({ submit: validateSubmit });
      expectWireError(
        () => clusterCodec.decode(pack([WIRE_VERSION, 'submit', { clientId: 'ev1', seq: 1 }])),
        'unknown-type',
      );
      expect(clusterCodec.kinds).to.have.members([
        'hello',
        'challenge',
        'proof',
        'welcome',
        'paxos',
      ]);
    });

    it('throws when a kind is registered twice', () => {
      expect(() => clusterCodec.extend({ paxos: validateSubmit })).to.throw(/already registered/);
    });

    it('turns a validator that throws something else into invalid-body', () => {
      const codec = new EnvelopeCodec<{ odd: never }>({
        odd: () => {
          throw new TypeError('bug in a validator');
        },
      });
      expectWireError(() => codec.decode(pack([WIRE_VERSION, 'odd', {}])), 'invalid-body');
    });

    it('refuses limits that are not positive integers', () => {
      expect(() => createClusterCodec({ maxFrameBytes: 0 })).to.throw(RangeError, /maxFrameBytes/);
    });
  });

  describe('fuzz: anything from the wire throws WireError or nothing', () => {
    function decodesOrThrowsWireError(bytes: Uint8Array): void {
      try {
        decodeEnvelope(bytes, { maxFrameBytes: 1 << 16 });
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
      }
    }

    it('random bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesOrThrowsWireError), {
        numRuns: 2000,
        seed: 20_240_601,
      });
    });

    it('every truncation of every sample frame', () => {
      for (const message of allSampleMessages) {
        const bytes = encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message });
        for (let length = 0; length < bytes.length; length += 1) {
          expectWireError(() => decodeEnvelope(bytes.subarray(0, length)), 'malformed-frame');
        }
      }
    });

    it('sample frames with random bytes overwritten', () => {
      const frames = allSampleMessages.map((message) =>
        encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: message }),
      );
      fc.assert(
        fc.property(
          fc.nat(frames.length - 1),
          fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
          (index, edits) => {
            const bytes = Buffer.from(frames[index] ?? new Uint8Array());
            for (const [position, byte] of edits) bytes[position % bytes.length] = byte;
            decodesOrThrowsWireError(bytes);
          },
        ),
        { numRuns: 2000, seed: 20_240_601 },
      );
    });

    it('still decodes valid frames after decoding garbage', () => {
      decodesOrThrowsWireError(Buffer.alloc(100_000, 0x91));
      decodesOrThrowsWireError(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]));
      expect(
        plain(
          decodeEnvelope(
            encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: sampleMessages.decide }),
          ).body,
        ),
      ).to.deep.equal(sampleMessages.decide);
    });
  });
});
