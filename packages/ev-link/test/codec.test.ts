import { expect } from 'chai';
import { Packr } from 'msgpackr';
import {
  EV_LINK_VERSION,
  EvLinkError,
  decodeFrame,
  encodeFrame,
  validateMessage,
  type EvLinkMessage,
} from '../src';

const schedule = {
  scheduleId: 7,
  startAtMs: 1_700_000_000_000,
  periods: [
    { startOffsetS: 0, limitW: 11_000 },
    { startOffsetS: 30, limitW: 8_800 },
  ],
};

const catalogue: EvLinkMessage[] = [
  { type: 'SessionSetupReq', requestId: 1, evId: 'EV1' },
  { type: 'SessionSetupReq', requestId: 2, evId: 'EV1', idToken: 'TOKEN-1' },
  {
    type: 'ChargeParameterDiscoveryReq',
    requestId: 3,
    energyRequestedWh: 20_000,
    minPowerW: 1_400,
    maxPowerW: 11_000,
    departureAtMs: 1_700_000_600_000,
  },
  { type: 'PowerDeliveryReq', requestId: 4, start: true },
  { type: 'ChargingStatusReq', requestId: 5, energyDeliveredWh: 1_000, socPercent: 42.5 },
  { type: 'SessionStopReq', requestId: 6 },
  {
    type: 'SessionSetupRes',
    requestId: 1,
    responseCode: 'OK',
    sessionId: 'tx-1',
    chargePointId: 'cp1',
  },
  {
    type: 'ChargeParameterDiscoveryRes',
    requestId: 3,
    responseCode: 'OK',
    limitW: 11_000,
    mode: 'profile',
    schedule,
  },
  { type: 'PowerDeliveryRes', requestId: 4, responseCode: 'OK', limitW: 8_800, mode: 'fail-safe' },
  {
    type: 'ChargingStatusRes',
    requestId: 5,
    responseCode: 'FAILED_SequenceError',
    limitW: 0,
    mode: 'fail-safe',
  },
  { type: 'SessionStopRes', requestId: 6, responseCode: 'OK' },
  { type: 'EvseNotification', reason: 'lease-lost', limitW: 8_800, mode: 'fail-safe' },
  { type: 'Error', requestId: null, code: 'malformed-frame', reason: 'bad' },
  { type: 'Error', requestId: 9, code: 'internal-error', reason: '' },
];

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(EvLinkError);
    return (error as EvLinkError).code;
  }
  return 'no error';
}

/** A small seeded PRNG (mulberry32), so a failing case is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('ev-link codec', () => {
  it('round-trips every message of the catalogue', () => {
    for (const message of catalogue) {
      expect(decodeFrame(encodeFrame(message))).to.deep.equal(message);
    }
  });

  it('returns only catalogue fields (extra keys are dropped)', () => {
    const frame = packr.pack({
      v: EV_LINK_VERSION,
      type: 'SessionStopReq',
      requestId: 3,
      extra: 'x',
    });
    expect(decodeFrame(frame)).to.deep.equal({ type: 'SessionStopReq', requestId: 3 });
  });

  it('refuses a frame larger than frameBytesMax with frame-too-large', () => {
    expect(codeOf(() => decodeFrame(Buffer.alloc(100), { frameBytesMax: 99 }))).to.equal(
      'frame-too-large',
    );
  });

  it('refuses bytes that are not one MessagePack value with malformed-frame', () => {
    expect(codeOf(() => decodeFrame(Buffer.from([0x82, 0xa1])))).to.equal('malformed-frame');
    const twoValues = Buffer.concat([
      encodeFrame({ type: 'SessionStopReq', requestId: 1 }),
      Buffer.from([1]),
    ]);
    expect(codeOf(() => decodeFrame(twoValues))).to.equal('malformed-frame');
  });

  it('refuses another version with unsupported-version (and keeps the requestId)', () => {
    const frame = packr.pack({ v: 2, type: 'SessionStopReq', requestId: 12 });
    expect(codeOf(() => decodeFrame(frame))).to.equal('unsupported-version');
    try {
      decodeFrame(frame);
    } catch (error) {
      expect((error as EvLinkError).requestId).to.equal(12);
    }
  });

  it('refuses values outside the catalogue with invalid-message naming the field', () => {
    const bad: unknown[] = [
      [1, 2],
      { type: 'Nope', requestId: 1 },
      { type: 'SessionSetupReq', requestId: 0, evId: 'EV1' },
      { type: 'SessionSetupReq', requestId: 1, evId: '' },
      { type: 'SessionSetupReq', requestId: 1, evId: 'x'.repeat(37) },
      {
        type: 'ChargeParameterDiscoveryReq',
        requestId: 1,
        energyRequestedWh: 1,
        minPowerW: 5,
        maxPowerW: 4,
        departureAtMs: 1,
      },
      {
        type: 'ChargeParameterDiscoveryReq',
        requestId: 1,
        energyRequestedWh: -1,
        minPowerW: 0,
        maxPowerW: 4,
        departureAtMs: 1,
      },
      { type: 'PowerDeliveryReq', requestId: 1, start: 'yes' },
      { type: 'ChargingStatusReq', requestId: 1, energyDeliveredWh: 1, socPercent: 101 },
      { type: 'PowerDeliveryRes', requestId: 1, responseCode: 'OK', limitW: 1, mode: 'turbo' },
      {
        type: 'PowerDeliveryRes',
        requestId: 1,
        responseCode: 'OK',
        limitW: 1,
        mode: 'profile',
        schedule: { scheduleId: 1, startAtMs: 0, periods: [] },
      },
      {
        type: 'PowerDeliveryRes',
        requestId: 1,
        responseCode: 'OK',
        limitW: 1,
        mode: 'profile',
        schedule: { scheduleId: 1, startAtMs: 0, periods: [{ startOffsetS: 5, limitW: 1 }] },
      },
      { type: 'Error', requestId: null, code: 'whatever', reason: '' },
    ];
    for (const value of bad) {
      expect(
        codeOf(() => validateMessage(value)),
        JSON.stringify(value),
      ).to.equal('invalid-message');
      expect(
        codeOf(() => decodeFrame(packr.pack({ v: EV_LINK_VERSION, ...(value as object) }))),
      ).to.be.oneOf([
        'invalid-message',
        'unsupported-version', // the array case has no v once spread
      ]);
    }
    try {
      validateMessage({ type: 'SessionSetupReq', requestId: 4, evId: '' });
    } catch (error) {
      expect((error as Error).message).to.contain('evId');
      expect((error as EvLinkError).requestId).to.equal(4);
    }
  });

  it('never lets our own invalid message out: encodeFrame validates first', () => {
    expect(codeOf(() => encodeFrame({ type: 'SessionStopReq', requestId: -1 }))).to.equal(
      'invalid-message',
    );
  });

  it('throws nothing but EvLinkError on random bytes (seeded, 5 000 frames)', () => {
    const seed = 20_240_601;
    const random = prng(seed);
    const valid = catalogue.map((message) => encodeFrame(message));
    for (let i = 0; i < 5_000; i += 1) {
      let bytes: Buffer;
      if (i % 2 === 0) {
        bytes = Buffer.alloc(Math.floor(random() * 64));
        for (let j = 0; j < bytes.length; j += 1) bytes[j] = Math.floor(random() * 256);
      } else {
        // Mutations of valid frames reach deeper into the decoder than pure noise.
        const base = valid[Math.floor(random() * valid.length)] as Buffer;
        bytes = Buffer.from(base);
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips; f += 1)
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      try {
        decodeFrame(bytes);
      } catch (error) {
        if (!(error instanceof EvLinkError)) {
          throw new Error(`seed ${seed}, frame ${i} (${bytes.toString('hex')}): ${String(error)}`);
        }
      }
    }
  });
});
