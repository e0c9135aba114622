import { expect } from 'chai';
import { parseSiteCommand, siteCommandTypes } from '../src';
import type { SiteCommand } from '../src';
import { T0 } from './helpers';

const examples: SiteCommand[] = [
  {
    type: 'RegisterChargePoint',
    atMs: T0,
    chargePointId: 'cp1',
    connectorCount: 2,
    maxPowerW: 22_000,
  },
  {
    type: 'Reserve',
    atMs: T0,
    reservationId: 7,
    chargePointId: 'cp1',
    connectorId: 1,
    idToken: 'A',
    expiresAtMs: T0 + 1,
  },
  { type: 'CancelReservation', atMs: T0, reservationId: 7 },
  {
    type: 'StartSession',
    atMs: T0,
    transactionId: 'tx1',
    chargePointId: 'cp1',
    connectorId: 1,
    idToken: 'A',
  },
  {
    type: 'UpdateNeeds',
    atMs: T0,
    transactionId: 'tx1',
    energyRequestedWh: 10_000,
    minPowerW: 1_400,
    maxPowerW: 11_000,
    departureAtMs: T0 + 1,
  },
  { type: 'StopSession', atMs: T0, transactionId: 'tx1' },
  { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1' },
  { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1', connectorId: 2 },
  { type: 'ChargePointRecovered', atMs: T0, chargePointId: 'cp1', connectorId: 2 },
  { type: 'SetSiteLimit', atMs: T0, siteLimitW: 30_000 },
  {
    type: 'RenewLeases',
    atMs: T0,
    renewals: [{ chargePointId: 'cp1', heldLeaseExpiresAtMs: null }],
  },
  {
    type: 'RenewLeases',
    atMs: T0,
    renewals: [
      { chargePointId: 'cp1', heldLeaseExpiresAtMs: T0 },
      { chargePointId: 'cp2', heldLeaseExpiresAtMs: null },
    ],
  },
  { type: 'StopSession', atMs: T0, transactionId: 'tx1', registerWh: 5_000 },
  { type: 'RecordMeterValues', atMs: T0, transactionId: 'tx1', registerWh: 1_200 },
  {
    type: 'RecordMeterValues',
    atMs: T0,
    transactionId: 'tx1',
    registerWh: 1_200,
    startRegisterWh: 1_000,
    powerW: 7_400,
  },
  { type: 'RecordProfileRefused', atMs: T0, chargePointId: 'cp1' },
  { type: 'Noop', atMs: T0 },
];

describe('parseSiteCommand', () => {
  it('refuses to propose RenewLease, which replicas still read in old slots (docs/SITE.md, "Leases")', () => {
    const parsed = parseSiteCommand({
      type: 'RenewLease',
      atMs: T0,
      chargePointId: 'cp1',
      heldLeaseExpiresAtMs: null,
    });
    expect(parsed).to.include({ ok: false, code: 'invalid-command' });
    expect(parsed.ok ? '' : parsed.reason).to.contain('RenewLeases');
  });

  it('accepts one well-formed example of every command type', () => {
    const covered = new Set(examples.map((c) => c.type));
    expect([...covered].sort()).to.deep.equal([...siteCommandTypes].sort());
    for (const command of examples) {
      const parsed = parseSiteCommand(JSON.parse(JSON.stringify(command)));
      expect(parsed, command.type).to.deep.equal({ ok: true, command });
    }
  });

  it('keeps only the catalogue fields of a command', () => {
    const parsed = parseSiteCommand({ type: 'Noop', atMs: 5, extra: 'dropped' });
    expect(parsed).to.deep.equal({ ok: true, command: { type: 'Noop', atMs: 5 } });
  });

  it('refuses a payload that is not an object', () => {
    for (const payload of [null, undefined, 3, 'Noop', [{ type: 'Noop', atMs: 1 }]]) {
      const parsed = parseSiteCommand(payload);
      expect(parsed.ok).to.equal(false);
      if (!parsed.ok) expect(parsed.code).to.equal('invalid-command');
    }
  });

  it('refuses an unknown type, naming the known ones', () => {
    const parsed = parseSiteCommand({ type: 'Explode', atMs: 1 });
    expect(parsed).to.include({ ok: false, code: 'invalid-command' });
    if (!parsed.ok) expect(parsed.reason).to.contain('RegisterChargePoint');
  });

  it('refuses a missing or malformed field, naming it', () => {
    const cases: [unknown, string][] = [
      [{ type: 'Noop' }, 'atMs'],
      [{ type: 'Noop', atMs: -1 }, 'atMs'],
      [{ type: 'Noop', atMs: 1.5 }, 'atMs'],
      [{ type: 'StopSession', atMs: 1, transactionId: '' }, 'transactionId'],
      [{ type: 'StopSession', atMs: 1, transactionId: 'x'.repeat(37) }, 'transactionId'],
      [
        {
          type: 'RegisterChargePoint',
          atMs: 1,
          chargePointId: 'cp',
          connectorCount: 0,
          maxPowerW: 1,
        },
        'connectorCount',
      ],
      [{ type: 'SetSiteLimit', atMs: 1, siteLimitW: 0 }, 'siteLimitW'],
      [{ type: 'SetSiteLimit', atMs: 1, siteLimitW: '44000' }, 'siteLimitW'],
      [
        { type: 'RenewLeases', atMs: 1, renewals: [{ chargePointId: 'cp' }] },
        'renewals[0].heldLeaseExpiresAtMs',
      ],
      [{ type: 'RenewLeases', atMs: 1, renewals: [] }, 'renewals'],
      [{ type: 'RenewLeases', atMs: 1, renewals: ['cp1'] }, 'renewals[0]'],
      [
        {
          type: 'RenewLeases',
          atMs: 1,
          renewals: [
            { chargePointId: 'cp1', heldLeaseExpiresAtMs: null },
            { chargePointId: 'cp1', heldLeaseExpiresAtMs: 5 },
          ],
        },
        'cp1 a second time',
      ],
      [{ type: 'ChargePointFaulted', atMs: 1, chargePointId: 'cp', connectorId: 0 }, 'connectorId'],
      [
        {
          type: 'UpdateNeeds',
          atMs: 1,
          transactionId: 't',
          energyRequestedWh: 1,
          minPowerW: 0,
          maxPowerW: 0,
          departureAtMs: 2,
        },
        'maxPowerW',
      ],
    ];
    for (const [payload, fieldName] of cases) {
      const parsed = parseSiteCommand(payload);
      expect(parsed.ok, JSON.stringify(payload)).to.equal(false);
      if (!parsed.ok) expect(parsed.reason, JSON.stringify(payload)).to.contain(fieldName);
    }
  });

  it('does not read inherited properties', () => {
    const payload = Object.create({ atMs: 1 }) as Record<string, unknown>;
    payload['type'] = 'Noop';
    expect(parseSiteCommand(payload).ok).to.equal(false);
  });
});

describe('parseSiteCommand: the rules that need no state, checked before a command is proposed', () => {
  it('refuses with the code the reducer would give, naming the command type', () => {
    const cases: [unknown, string][] = [
      [
        {
          type: 'RegisterChargePoint',
          atMs: 1,
          chargePointId: 'cp',
          connectorCount: 9,
          maxPowerW: 1,
        },
        'connector-count-out-of-range',
      ],
      [{ type: 'SetSiteLimit', atMs: 1, siteLimitW: 10_000_001 }, 'site-limit-out-of-range'],
      [
        {
          type: 'Reserve',
          atMs: 5,
          reservationId: 1,
          chargePointId: 'cp',
          connectorId: 1,
          idToken: 'A',
          expiresAtMs: 5,
        },
        'reservation-in-past',
      ],
      [
        {
          type: 'UpdateNeeds',
          atMs: 1,
          transactionId: 't',
          energyRequestedWh: 1,
          minPowerW: 5,
          maxPowerW: 4,
          departureAtMs: 2,
        },
        'needs-out-of-range',
      ],
    ];
    for (const [payload, code] of cases) {
      const parsed = parseSiteCommand(payload);
      expect(parsed, JSON.stringify(payload)).to.include({ ok: false, code });
      if (!parsed.ok) {
        expect(parsed.reason.startsWith(`${(payload as { type: string }).type}: `)).to.equal(true);
      }
    }
  });

  it('leaves to the reducer every rule that depends on the state', () => {
    // An unknown charge point, a far departure (the replicated clock may be later than atMs).
    const parsed = parseSiteCommand({
      type: 'UpdateNeeds',
      atMs: T0,
      transactionId: 'unknown',
      energyRequestedWh: 1,
      minPowerW: 0,
      maxPowerW: 1,
      departureAtMs: T0 + 365 * 24 * 3_600_000,
    });
    expect(parsed.ok).to.equal(true);
  });
});
