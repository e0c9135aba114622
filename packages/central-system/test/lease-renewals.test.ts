import { expect } from 'chai';
import type { Logger } from '@evpaxos/runtime';
import { applySiteCommand, createSiteState, type SiteCommand, type SiteState } from '@evpaxos/site';
import type { CommandDraft, SubmitOutcome } from '../src/central-service';
import { LeaseRenewals } from '../src/lease-renewals';

const LEASE_MS = 30_000;
const INTERVAL_MS = LEASE_MS / 3;
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const STATIONS = ['cp1', 'cp2', 'cp3', 'cp4', 'cp5'];

/**
 * A central's lease renewals against a replica of its own: the clock and the timers are the test's,
 * and submit applies the command to the replica at once (or fails, when told to).
 */
function harness(registered = STATIONS) {
  let state: SiteState = createSiteState({ leaseMs: LEASE_MS });
  for (const chargePointId of registered) {
    const command: SiteCommand = {
      type: 'RegisterChargePoint',
      atMs: T0,
      chargePointId,
      connectorCount: 1,
      maxPowerW: 22_000,
    };
    state = applySiteCommand(state, command).state;
  }
  const h = {
    nowMs: T0,
    submitted: [] as SiteCommand[],
    logged: [] as { message: string; fields: Record<string, unknown> }[],
    timers: [] as { atMs: number; callback: () => void; cleared: boolean }[],
    failNext: false,
    get state() {
      return state;
    },
    /** Runs every timer due by `toMs`, in time order, moving the clock; lets submits settle. */
    async advance(toMs: number): Promise<void> {
      for (;;) {
        const due = h.timers
          .filter((timer) => !timer.cleared && timer.atMs <= toMs)
          .sort((a, b) => a.atMs - b.atMs)[0];
        if (due === undefined) break;
        due.cleared = true;
        h.nowMs = Math.max(h.nowMs, due.atMs);
        due.callback();
        await new Promise((resolve) => setImmediate(resolve));
      }
      h.nowMs = toMs;
    },
    held(chargePointId: string): number | null {
      return state.chargePoints[chargePointId]?.lease?.expiresAtMs ?? null;
    },
  };
  const logger = {
    info: (message: string, fields: Record<string, unknown>) => h.logged.push({ message, fields }),
    warn: () => undefined,
    debug: () => undefined,
  } as unknown as Logger;
  const renewals = new LeaseRenewals({
    memberIds: STATIONS,
    readState: () => state,
    nowMs: () => h.nowMs,
    logger,
    submit: (draft: CommandDraft): Promise<SubmitOutcome> => {
      const command = { ...draft, atMs: h.nowMs } as SiteCommand;
      h.submitted.push(command);
      if (h.failNext) {
        h.failNext = false;
        return Promise.resolve({ ok: false, code: 'timeout' });
      }
      const next = applySiteCommand(state, command);
      state = next.state;
      return Promise.resolve({ ok: true, slot: h.submitted.length, result: next.result });
    },
    setTimer: (callback, delayMs) => {
      const timer = { atMs: h.nowMs + delayMs, callback, cleared: false };
      h.timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      (timer as { cleared: boolean }).cleared = true;
    },
  });
  return { h, renewals };
}

/** Every station asks, naming what the replica shows it (as a station that learned everything). */
function everyoneAsks(h: ReturnType<typeof harness>['h'], renewals: LeaseRenewals): void {
  for (const chargePointId of STATIONS) renewals.ask(chargePointId, h.held(chargePointId));
}

const renewedIds = (command: SiteCommand | undefined): string[] =>
  command?.type === 'RenewLeases' ? command.renewals.map((renewal) => renewal.chargePointId) : [];

describe('lease renewals: one RenewLeases per interval for every station that asked', () => {
  it('starts the leases at once, then keeps five stations leased with one command per leaseMs / 3', async () => {
    const { h, renewals } = harness();
    everyoneAsks(h, renewals);
    await h.advance(T0);
    expect(h.submitted).to.have.length(1);
    expect(renewedIds(h.submitted[0])).to.deep.equal(STATIONS);
    // Stations ask every leaseMs / 4 (charge-point extension.ts), each at its own phase.
    for (let tick = 1; tick <= 24; tick += 1) {
      const atMs = T0 + tick * (LEASE_MS / 4) + tick * 37;
      await h.advance(atMs);
      everyoneAsks(h, renewals);
    }
    await h.advance(T0 + 7 * LEASE_MS);
    const elapsedMs = h.nowMs - T0;
    expect(h.submitted.length).to.be.at.most(Math.floor(elapsedMs / INTERVAL_MS) + 1);
    for (const [i, command] of h.submitted.entries()) {
      const previous = h.submitted[i - 1];
      if (previous !== undefined) {
        expect(command.atMs - previous.atMs, `command ${i}`).to.be.at.least(INTERVAL_MS);
      }
    }
    // Every lease stayed live and confirmed after the first renewals, all through.
    for (const chargePointId of STATIONS) {
      const lease = h.state.chargePoints[chargePointId]?.lease;
      expect(lease?.confirmed, chargePointId).to.equal(true);
      expect(lease?.expiresAtMs, chargePointId).to.be.above(h.nowMs);
    }
    expect(h.logged.filter((line) => line.message === 'lease-renewal-rejected')).to.deep.equal([]);
  });

  it('renews only the stations that asked: a station that stopped asking lets its lease lapse', async () => {
    const { h, renewals } = harness();
    everyoneAsks(h, renewals);
    await h.advance(T0);
    for (let tick = 1; tick <= 8; tick += 1) {
      await h.advance(T0 + tick * (LEASE_MS / 4));
      for (const chargePointId of STATIONS.filter((id) => id !== 'cp3')) {
        renewals.ask(chargePointId, h.held(chargePointId));
      }
    }
    await h.advance(T0 + 2 * LEASE_MS + 1);
    expect(h.state.chargePoints['cp3']?.lease?.expiresAtMs).to.equal(T0 + LEASE_MS);
    expect(h.submitted.slice(1).every((command) => !renewedIds(command).includes('cp3'))).to.equal(
      true,
    );
    expect(h.state.chargePoints['cp1']?.lease?.expiresAtMs).to.be.above(h.nowMs);
  });

  it('keeps the latest ask; a stale name is refused by the reducer and logged, the others renewed', async () => {
    const { h, renewals } = harness();
    everyoneAsks(h, renewals);
    await h.advance(T0);
    const held = h.held('cp1');
    await h.advance(T0 + INTERVAL_MS);
    renewals.ask('cp2', 1); // a first ask naming a lease it does not hold …
    renewals.ask('cp2', h.held('cp2')); // … replaced by its next one
    renewals.ask('cp1', (held ?? 0) - 5); // cut off from the mesh: a stale lease
    renewals.ask('cp4', h.held('cp4'));
    await h.advance(T0 + INTERVAL_MS);
    expect(h.submitted).to.have.length(2);
    expect(h.submitted[1]).to.deep.include({
      type: 'RenewLeases',
      renewals: [
        { chargePointId: 'cp2', heldLeaseExpiresAtMs: held },
        { chargePointId: 'cp1', heldLeaseExpiresAtMs: (held ?? 0) - 5 },
        { chargePointId: 'cp4', heldLeaseExpiresAtMs: held },
      ],
    });
    expect(h.held('cp1')).to.equal(held);
    expect(h.held('cp2')).to.equal(T0 + INTERVAL_MS + LEASE_MS);
    const rejected = h.logged.filter((line) => line.message === 'lease-renewal-rejected');
    expect(rejected.map((line) => line.fields)).to.deep.equal([
      {
        chargePointIds: ['cp1'],
        code: 'lease-not-held',
        reason: rejected[0]?.fields.reason,
      },
    ]);
  });

  it('retries what was not agreed after a pause (LEASE_RENEWAL_RETRY_MS), the asks kept', async () => {
    const { h, renewals } = harness();
    h.failNext = true;
    everyoneAsks(h, renewals);
    await h.advance(T0);
    expect(h.submitted).to.have.length(1);
    expect(h.held('cp1')).to.equal(null);
    await h.advance(T0 + 999);
    expect(h.submitted).to.have.length(1);
    await h.advance(T0 + 1_000);
    expect(h.submitted).to.have.length(2);
    expect(renewedIds(h.submitted[1])).to.deep.equal(STATIONS);
    expect(h.held('cp1')).to.equal(T0 + 1_000 + LEASE_MS);
  });

  it('ignores an unregistered station, and submits nothing once closed', async () => {
    const { h, renewals } = harness(['cp1']);
    renewals.ask('cp9', null);
    await h.advance(T0 + LEASE_MS);
    expect(h.submitted).to.deep.equal([]);
    renewals.ask('cp1', null);
    renewals.close();
    await h.advance(T0 + 2 * LEASE_MS);
    expect(h.submitted).to.deep.equal([]);
  });

  it("renews a third-party station's lease from the replica, named when submitted", async () => {
    const { h, renewals } = harness(['cp1', 'ext']);
    renewals.askFromReplica('ext');
    await h.advance(T0);
    const first = h.held('ext');
    expect(first).to.equal(T0 + LEASE_MS);
    renewals.askFromReplica('ext');
    await h.advance(T0 + INTERVAL_MS);
    expect(h.state.chargePoints['ext']?.lease).to.deep.include({
      confirmed: true,
      previousExpiresAtMs: first,
    });
  });
});
