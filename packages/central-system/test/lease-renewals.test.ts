import { expect } from 'chai';
import type { Logger } from '@evpaxos/runtime';
import { applySiteCommand, createSiteState, type SiteCommand, type SiteState } from '@evpaxos/site';
import type { CommandDraft, SubmitOutcome } from '../src/central-service';
import { LEASE_ASKS_PATH, leaseAsksRoutes } from '../src/lease-asks-route';
import { LeaseRenewals, type ForwardedAsk } from '../src/lease-renewals';

const LEASE_MS = 30_000;
const INTERVAL_MS = LEASE_MS / 3;
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const STATIONS = ['cp1', 'cp2', 'cp3', 'cp4', 'cp5'];

/**
 * A central's lease renewals against a replica of its own: the clock and the timers are the test's,
 * and submit applies the command to the replica at once (or fails, when told to).
 */
function harness(registered = STATIONS) {
  let leading = true;
  let forwardTo: ((asks: readonly ForwardedAsk[]) => boolean) | null = null;
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
    /** Other centrals' commands, decided in the slots before the next one submitted here. */
    decidedFirst: [] as SiteCommand[],
    get state() {
      return state;
    },
    /** Runs every timer due by `toMs`, in time order, moving the clock; lets submits settle. */
    async advance(toMs: number): Promise<void> {
      for (;;) {
        // Let forwards and submits settle first: they may arm timers.
        await new Promise((resolve) => setImmediate(resolve));
        const due = h.timers
          .filter((timer) => !timer.cleared && timer.atMs <= toMs)
          .sort((a, b) => a.atMs - b.atMs)[0];
        if (due === undefined) break;
        due.cleared = true;
        h.nowMs = Math.max(h.nowMs, due.atMs);
        due.callback();
      }
      h.nowMs = toMs;
    },
    held(chargePointId: string): number | null {
      return state.chargePoints[chargePointId]?.lease?.expiresAtMs ?? null;
    },
    /** This central stands by, handing asks to `leader` (null: no leader takes them). */
    standBy(leader: ((asks: readonly ForwardedAsk[]) => boolean) | null): void {
      leading = false;
      forwardTo = leader;
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
    isLeader: () => leading,
    forward: (asks) => Promise.resolve(forwardTo?.(asks) ?? false),
    submit: (draft: CommandDraft): Promise<SubmitOutcome> => {
      const command = { ...draft, atMs: h.nowMs } as SiteCommand;
      h.submitted.push(command);
      if (h.failNext) {
        h.failNext = false;
        return Promise.resolve({ ok: false, code: 'timeout' });
      }
      for (const other of h.decidedFirst.splice(0)) state = applySiteCommand(state, other).state;
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

  it("a standby hands its stations' asks to the leader, which renews them in its own one command", async () => {
    const leader = harness();
    const standby = harness();
    standby.h.standBy((asks) => leader.renewals.receive(asks));
    // cp1, cp2 are on the leader; cp3 … cp5 on the standby; ext-like asks travel as fromReplica.
    for (const chargePointId of ['cp1', 'cp2']) leader.renewals.ask(chargePointId, null);
    for (const chargePointId of ['cp3', 'cp4']) standby.renewals.ask(chargePointId, null);
    standby.renewals.askFromReplica('cp5');
    await leader.h.advance(T0);
    await standby.h.advance(T0);
    await leader.h.advance(T0 + INTERVAL_MS);
    expect(standby.h.submitted).to.deep.equal([]);
    const renewed = leader.h.submitted.flatMap(renewedIds).sort();
    expect(renewed).to.deep.equal(STATIONS);
    expect(leader.h.held('cp5')).to.be.a('number');
  });

  it('a standby no leader takes asks from submits them itself; a central that does not lead refuses forwarded asks', async () => {
    const { h, renewals } = harness();
    h.standBy(null);
    expect(renewals.receive([{ chargePointId: 'cp1', heldLeaseExpiresAtMs: null }])).to.equal(
      false,
    );
    renewals.ask('cp1', null);
    await h.advance(T0);
    expect(h.submitted.map(renewedIds)).to.deep.equal([['cp1']]);
    expect(h.held('cp1')).to.equal(T0 + LEASE_MS);
  });

  it('POST /lease-renewals/asks: taken by the leader, 421 on a standby, 400 naming a bad field', async () => {
    const { h, renewals } = harness();
    const route = leaseAsksRoutes(renewals);
    const post = (body: unknown, method = 'POST') =>
      route({
        method,
        path: LEASE_ASKS_PATH,
        query: new URLSearchParams(),
        readJson: () => Promise.resolve(body),
      });
    expect(
      await post({ asks: [{ chargePointId: 'cp1', heldLeaseExpiresAtMs: null }] }),
    ).to.deep.equal({ status: 200, body: { taken: 1 } });
    await h.advance(T0);
    expect(h.submitted.map(renewedIds)).to.deep.equal([['cp1']]);
    const bad = [
      [{ asks: [] }, 'asks'],
      [{ asks: [{ chargePointId: '' }] }, 'asks[0].chargePointId'],
      [
        { asks: [{ chargePointId: 'cp1', heldLeaseExpiresAtMs: -1 }] },
        'asks[0].heldLeaseExpiresAtMs',
      ],
      [null, 'asks'],
    ] as const;
    for (const [body, field] of bad) {
      const answer = await post(body);
      expect(answer?.status, JSON.stringify(body)).to.equal(400);
      expect((answer?.body as { reason: string }).reason).to.contain(field);
    }
    expect((await post({}, 'GET'))?.status).to.equal(405);
    expect(
      await route({
        method: 'POST',
        path: '/other',
        query: new URLSearchParams(),
        readJson: () => Promise.resolve({}),
      }),
    ).to.equal(undefined);
    h.standBy(null);
    expect((await post({ asks: [{ chargePointId: 'cp2', fromReplica: true }] }))?.status).to.equal(
      421,
    );
  });

  it('renews a station whose ask came after the command on its own, in time, and joins the others at the next', async () => {
    const { h, renewals } = harness();
    everyoneAsks(h, renewals);
    await h.advance(T0);
    const others = STATIONS.filter((id) => id !== 'cp3');
    await h.advance(T0 + 2_000);
    for (const chargePointId of others) renewals.ask(chargePointId, h.held(chargePointId));
    await h.advance(T0 + INTERVAL_MS);
    expect(renewedIds(h.submitted[1])).to.deep.equal(others);
    // cp3's ask was held up (its OCPP link busy with a TransactionEvent): it is overdue now.
    await h.advance(T0 + INTERVAL_MS + 500);
    renewals.ask('cp3', h.held('cp3'));
    await h.advance(T0 + INTERVAL_MS + 500);
    expect(h.submitted.map(renewedIds)[2]).to.deep.equal(['cp3']);
    await h.advance(T0 + INTERVAL_MS + 2_000);
    everyoneAsks(h, renewals);
    await h.advance(T0 + 3 * INTERVAL_MS);
    // One command for all five at the round's time; nobody asked since, so nothing more.
    expect(h.submitted.slice(3).map((command) => renewedIds(command).sort())).to.deep.equal([
      STATIONS,
    ]);
    expect(h.submitted[3]?.atMs).to.equal(T0 + 2 * INTERVAL_MS);
  });

  it('a refused station makes no command fall due for half an interval (a station cut off names a stale lease at every ask)', async () => {
    const { h, renewals } = harness(['cp1']);
    renewals.ask('cp1', null);
    await h.advance(T0);
    const stale = (h.held('cp1') ?? 0) - 1;
    for (let atMs = T0 + INTERVAL_MS; atMs < T0 + 2 * INTERVAL_MS; atMs += LEASE_MS / 12) {
      await h.advance(atMs);
      renewals.ask('cp1', stale);
    }
    await h.advance(T0 + 2 * INTERVAL_MS - 1);
    // T0 (granted), T0 + I (refused), T0 + 1.5 I (refused): not one per ask.
    expect(h.submitted.map((command) => command.atMs - T0)).to.deep.equal([
      0,
      INTERVAL_MS,
      1.5 * INTERVAL_MS,
    ]);
  });

  it('drops an ask naming the lease its renewal just replaced (it left before the station learned): no command, no refusal', async () => {
    const { h, renewals } = harness(['cp1']);
    renewals.ask('cp1', null);
    await h.advance(T0);
    const first = h.held('cp1');
    await h.advance(T0 + INTERVAL_MS);
    renewals.ask('cp1', first);
    await h.advance(T0 + INTERVAL_MS);
    expect(h.submitted).to.have.length(2);
    // The same ask again, delivered late (queued behind a TransactionEvent on the OCPP link).
    renewals.ask('cp1', first);
    await h.advance(T0 + 2 * INTERVAL_MS + 1);
    expect(h.submitted).to.have.length(2);
    renewals.ask('cp1', h.held('cp1'));
    await h.advance(T0 + 2 * INTERVAL_MS + 1);
    expect(h.submitted).to.have.length(3);
    expect(h.state.chargePoints['cp1']?.lease?.confirmed).to.equal(true);
    expect(h.logged.filter((line) => line.message === 'lease-renewal-rejected')).to.deep.equal([]);
  });

  it('drops an ask naming no lease once the first lease is granted (its replica had not learned it yet): no command, no refusal', async () => {
    const { h, renewals } = harness(['cp1']);
    renewals.ask('cp1', null);
    await h.advance(T0);
    expect(h.submitted).to.have.length(1);
    // Its next periodic ask left before its replica learned that lease (a loaded host).
    await h.advance(T0 + LEASE_MS / 4);
    renewals.ask('cp1', null);
    await h.advance(T0 + 2 * INTERVAL_MS);
    expect(h.submitted).to.have.length(1);
    // It learned: its ask names the lease, renewed (and confirmed) as usual.
    renewals.ask('cp1', h.held('cp1'));
    await h.advance(T0 + 2 * INTERVAL_MS);
    expect(h.submitted).to.have.length(2);
    expect(h.state.chargePoints['cp1']?.lease).to.deep.include({
      confirmed: true,
      previousExpiresAtMs: T0 + LEASE_MS,
    });
    expect(h.logged.filter((line) => line.message === 'lease-renewal-rejected')).to.deep.equal([]);
  });

  it("a renewal another central's renewals answered first (a leader change) is not reported as refused; a cut-off station's still is", async () => {
    const { h, renewals } = harness();
    everyoneAsks(h, renewals);
    await h.advance(T0);
    await h.advance(T0 + INTERVAL_MS - 200);
    everyoneAsks(h, renewals);
    // The central that led a moment before had cp1's and cp2's same asks: its RenewLeases is decided
    // in the slot before ours, so the reducer refuses those two in ours (lease.ts R2).
    const fromOther = (chargePointIds: readonly string[], atMs: number): SiteCommand => ({
      type: 'RenewLeases',
      atMs,
      renewals: chargePointIds.map((chargePointId) => ({
        chargePointId,
        heldLeaseExpiresAtMs: h.held(chargePointId),
      })),
    });
    h.decidedFirst = [fromOther(['cp1', 'cp2'], T0 + INTERVAL_MS - 100)];
    await h.advance(T0 + INTERVAL_MS);
    expect(renewedIds(h.submitted[1])).to.deep.equal(STATIONS);
    expect(h.held('cp1')).to.equal(T0 + INTERVAL_MS - 100 + LEASE_MS);
    expect(h.held('cp3')).to.equal(T0 + INTERVAL_MS + LEASE_MS);
    // Every station in ours answered first: the command is refused as a whole, none reported.
    await h.advance(T0 + 2 * INTERVAL_MS - 300);
    everyoneAsks(h, renewals);
    h.decidedFirst = [fromOther(STATIONS, T0 + 2 * INTERVAL_MS - 150)];
    await h.advance(T0 + 2 * INTERVAL_MS);
    expect(h.submitted).to.have.length(3);
    for (const chargePointId of STATIONS) {
      expect(h.state.chargePoints[chargePointId]?.lease?.confirmed, chargePointId).to.equal(true);
      expect(h.held(chargePointId), chargePointId).to.equal(T0 + 2 * INTERVAL_MS - 150 + LEASE_MS);
    }
    // Ours waited through a leader change while cp3 was renewed twice, the second time naming the
    // first renewal: its lease is confirmed past the one ours names, so cp3 is answered too.
    await h.advance(T0 + 3 * INTERVAL_MS - 400);
    everyoneAsks(h, renewals);
    const renewedOnce = T0 + 3 * INTERVAL_MS - 300;
    h.decidedFirst = [
      fromOther(['cp3'], renewedOnce),
      {
        type: 'RenewLeases',
        atMs: renewedOnce + 100,
        renewals: [{ chargePointId: 'cp3', heldLeaseExpiresAtMs: renewedOnce + LEASE_MS }],
      },
    ];
    await h.advance(T0 + 3 * INTERVAL_MS);
    expect(h.submitted).to.have.length(4);
    expect(h.held('cp3')).to.equal(renewedOnce + 100 + LEASE_MS);
    expect(h.held('cp1')).to.equal(T0 + 3 * INTERVAL_MS - 150 + LEASE_MS);
    expect(h.logged.filter((line) => line.message === 'lease-renewal-rejected')).to.deep.equal([]);
    // cp4 is cut off from the mesh from here on: it names the lease its replica holds at every ask.
    // Its next renewal is granted, then its asks are answered until that lease lapses; what it is
    // granted then is unconfirmed (lease.ts R3), and its stale name is refused and reported.
    const stale = h.held('cp4');
    const cutAtMs = T0 + 3 * INTERVAL_MS;
    for (let atMs = cutAtMs; atMs <= cutAtMs + 2.5 * LEASE_MS; atMs += LEASE_MS / 4) {
      await h.advance(atMs);
      renewals.ask('cp4', stale);
    }
    await h.advance(cutAtMs + 2.5 * LEASE_MS + INTERVAL_MS);
    const rejected = h.logged.filter((line) => line.message === 'lease-renewal-rejected');
    expect(rejected.map((line) => line.fields.chargePointIds)).to.deep.include(['cp4']);
    expect(rejected.every((line) => String(line.fields.chargePointIds) === 'cp4')).to.equal(true);
    expect(h.state.chargePoints['cp4']?.lease?.confirmed).to.equal(false);
  });
});
