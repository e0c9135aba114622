// ReserveNow when a reservation's window opens (OCPP 2.0.1 H01; docs/SITE.md, reservations): the
// leader tells the station at the window's start, not when the window is agreed, once per window,
// and a follower says nothing.
import { expect } from 'chai';
import type { ClusterNode, Logger } from '@evpaxos/runtime';
import type { ReservationState, SiteState } from '@evpaxos/site';
import type { CentralService } from '../src/central-service';
import { ReserveNowNotifier } from '../src/reserve-now';

const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Logger;

const MINUTE_MS = 60_000;
const T0 = Date.parse('2026-12-04T14:00:00.000Z');

/** A central service whose station calls are recorded as `action chargePointId #id`, all Accepted. */
function recordingService(): { calls: string[]; service: CentralService } {
  const calls: string[] = [];
  const service = {
    callStation: (chargePointId: string, action: string, params: { id: number }) => {
      calls.push(`${action} ${chargePointId} #${params.id}`);
      return Promise.resolve({ status: 'Accepted' });
    },
  } as unknown as CentralService;
  return { calls, service };
}

describe('ReserveNow at the window start', () => {
  it('is sent when the window opens, once, by the leader only, and again for a new window', async () => {
    const { calls, service } = recordingService();
    const node = { isLeader: true };
    let nowMs = T0;
    const window: ReservationState = {
      reservationId: 7,
      chargePointId: 'cp3',
      connectorId: 1,
      idToken: 'ALICE',
      startsAtMs: T0 + 10 * MINUTE_MS,
      expiresAtMs: T0 + 70 * MINUTE_MS,
    };
    const reservations: Record<number, ReservationState> = { 7: window };
    const notifier = new ReserveNowNotifier(
      service,
      node as unknown as ClusterNode,
      () => ({ reservations }) as unknown as SiteState,
      quietLogger,
      () => nowMs,
    );
    const settle = () => new Promise((resolve) => setImmediate(resolve));

    notifier.check();
    await settle();
    expect(calls, 'agreed, not yet open').to.deep.equal([]);

    nowMs = window.startsAtMs - 1;
    notifier.check();
    await settle();
    expect(calls, 'a millisecond before it opens').to.deep.equal([]);

    nowMs = window.startsAtMs;
    notifier.check();
    notifier.check();
    await settle();
    expect(calls, 'open: once').to.deep.equal(['ReserveNow cp3 #7']);

    // The same id agreed again for a later window is a new notice.
    reservations[7] = {
      ...window,
      startsAtMs: T0 + 80 * MINUTE_MS,
      expiresAtMs: T0 + 90 * MINUTE_MS,
    };
    nowMs = T0 + 80 * MINUTE_MS;
    node.isLeader = false;
    notifier.check();
    await settle();
    expect(calls, 'a follower sends nothing').to.deep.equal(['ReserveNow cp3 #7']);
    node.isLeader = true;
    notifier.check();
    await settle();
    expect(calls).to.deep.equal(['ReserveNow cp3 #7', 'ReserveNow cp3 #7']);

    nowMs = T0 + 90 * MINUTE_MS;
    calls.length = 0;
    notifier.check();
    await settle();
    expect(calls, 'expired: nothing').to.deep.equal([]);
  });

  it('started, it wakes when the next window opens and when this central becomes leader, without polling', async () => {
    const { calls, service } = recordingService();
    const eventListeners: ((event: { type: string }) => void)[] = [];
    const appliedListeners: ((entries: unknown[]) => void)[] = [];
    const node = {
      isLeader: true,
      onApplied: (listener: (entries: unknown[]) => void) => {
        appliedListeners.push(listener);
        return () => appliedListeners.splice(appliedListeners.indexOf(listener), 1);
      },
      onEvent: (listener: (event: { type: string }) => void) => {
        eventListeners.push(listener);
        return () => eventListeners.splice(eventListeners.indexOf(listener), 1);
      },
    };
    const opensAtMs = Date.now() + 50;
    const reservations: Record<number, ReservationState> = {
      8: {
        reservationId: 8,
        chargePointId: 'cp2',
        connectorId: 1,
        idToken: 'BOB',
        startsAtMs: opensAtMs,
        expiresAtMs: opensAtMs + 60 * MINUTE_MS,
      },
    };
    const notifier = new ReserveNowNotifier(
      service,
      node as unknown as ClusterNode,
      () => ({ reservations }) as unknown as SiteState,
      quietLogger,
    );
    try {
      notifier.start();
      expect(calls, 'not open yet').to.deep.equal([]);
      for (let waitedMs = 0; calls.length === 0 && waitedMs < 10_000; waitedMs += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(calls, 'at the window start').to.deep.equal(['ReserveNow cp2 #8']);
      // A Reserve applied for a window open already: the reservations API that agreed it tells the
      // station (it needs the answer); the notifier must not send a second ReserveNow.
      reservations[9] = { ...(reservations[8] as ReservationState), reservationId: 9 };
      const reserve = { type: 'Reserve', reservationId: 9 };
      for (const listener of [...appliedListeners]) {
        listener([{ slot: 3, commands: [{ command: { payload: reserve }, duplicate: false }] }]);
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls, 'no ReserveNow from the applied Reserve').to.deep.equal(['ReserveNow cp2 #8']);
      delete reservations[9];
      // A new leader sends the notices of the windows open when it takes over.
      const other = new ReserveNowNotifier(
        service,
        { ...node, isLeader: false } as unknown as ClusterNode,
        () => ({ reservations }) as unknown as SiteState,
        quietLogger,
      );
      other.start();
      expect(calls, 'a follower sends nothing').to.have.length(1);
      (other as unknown as { node: { isLeader: boolean } }).node.isLeader = true;
      for (const listener of [...eventListeners]) listener({ type: 'became-leader' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).to.deep.equal(['ReserveNow cp2 #8', 'ReserveNow cp2 #8']);
      other.stop();
    } finally {
      notifier.stop();
    }
  });
});
