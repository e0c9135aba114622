import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applySiteCommand, createSiteState, type SiteCommand, type SiteState } from '@evpaxos/site';
import type {
  AuthorizationStatus,
  ConnectorStatus,
  CsmsCallHandlers,
  CsmsLink,
  EvChargingNeeds,
  IdToken,
  NotifyEvChargingNeedsStatus,
  TransactionEventRequest,
} from '../src/csms-link';

export interface Logged {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

export function recordingLogger(lines: Logged[]) {
  return {
    info: (message: string, meta: Record<string, unknown> = {}) =>
      lines.push({ level: 'info', message, meta }),
    warn: (message: string, meta: Record<string, unknown> = {}) =>
      lines.push({ level: 'warn', message, meta }),
    error: (message: string, meta: Record<string, unknown> = {}) =>
      lines.push({ level: 'error', message, meta }),
  };
}

/** A replica the test changes by applying site commands, as the Paxos node would. */
export class FakeReplica {
  state: SiteState = createSiteState({});
  apply(command: SiteCommand): void {
    const next = applySiteCommand(this.state, command);
    if (!next.result.ok)
      throw new Error(`replica refused ${command.type}: ${JSON.stringify(next.result)}`);
    this.state = next.state;
  }
  /** Registers cp and gives it a live, confirmed lease from `atMs`. */
  registerLeased(chargePointId: string, atMs: number): void {
    this.apply({
      type: 'RegisterChargePoint',
      atMs,
      chargePointId,
      connectorCount: 1,
      maxPowerW: 22_000,
    });
    const renew = (renewAtMs: number) =>
      this.apply({
        type: 'RenewLeases',
        atMs: renewAtMs,
        renewals: [
          {
            chargePointId,
            heldLeaseExpiresAtMs:
              this.state.chargePoints[chargePointId]?.lease?.expiresAtMs ?? null,
          },
        ],
      });
    renew(atMs);
    renew(atMs + 1);
  }
}

/**
 * The CSMS as the charge point sees it. With a replica and `actAsCentral`, it does what the central
 * would: StartSession on Started, UpdateNeeds on needs (then calls `onApplied`), StopSession on Ended.
 */
export class FakeCsms implements CsmsLink {
  online: boolean;
  handlers: CsmsCallHandlers | undefined;
  readonly sent: TransactionEventRequest[] = [];
  readonly statuses: ConnectorStatus[] = [];
  readonly needs: EvChargingNeeds[] = [];
  authorizeAnswer: AuthorizationStatus = 'Accepted';
  /** idTokenInfo.status in TransactionEventResponses to events with an idToken. */
  idTokenInfoAnswer: AuthorizationStatus = 'Accepted';
  /** False: the operator holds the EVSE Inoperative (G03). */
  operative = true;
  needsAnswer: NotifyEvChargingNeedsStatus = 'Accepted';
  private readonly listeners = new Set<(online: boolean) => void>();

  constructor(
    online: boolean,
    private readonly central?: {
      replica: FakeReplica;
      chargePointId: string;
      onApplied: () => void;
    },
  ) {
    this.online = online;
  }

  setOnline(online: boolean): void {
    this.online = online;
    for (const listener of this.listeners) listener(online);
  }

  onOnlineChange(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  setHandlers(handlers: CsmsCallHandlers): void {
    this.handlers = handlers;
  }
  authorize(_idToken: IdToken): Promise<AuthorizationStatus> {
    return this.online
      ? Promise.resolve(this.authorizeAnswer)
      : Promise.reject(new Error('offline'));
  }
  statusNotification(status: ConnectorStatus): Promise<void> {
    this.statuses.push(status);
    return Promise.resolve();
  }
  async transactionEvent(request: TransactionEventRequest): Promise<AuthorizationStatus | null> {
    if (!this.online) throw new Error('offline');
    this.sent.push(request);
    // The central's verdict on the idToken, whenever the request carried one (E05).
    const verdict = request.idToken === undefined ? null : this.idTokenInfoAnswer;
    const central = this.central;
    if (central === undefined) return verdict;
    const { transactionId } = request.transactionInfo;
    if (request.eventType === 'Started') {
      central.replica.apply({
        type: 'StartSession',
        atMs: Date.now(),
        transactionId,
        chargePointId: central.chargePointId,
        connectorId: 1,
        idToken: request.idToken?.idToken ?? 'unknown',
      });
    } else if (request.eventType === 'Ended') {
      central.replica.apply({ type: 'StopSession', atMs: Date.now(), transactionId });
    }
    central.onApplied();
    return verdict;
  }
  async notifyEvChargingNeeds(needs: EvChargingNeeds): Promise<NotifyEvChargingNeedsStatus> {
    if (!this.online) throw new Error('offline');
    this.needs.push(needs);
    const central = this.central;
    if (central !== undefined) {
      // Answer first, then decide and push the profile (K15 steps 3–4).
      setImmediate(() => {
        const session = Object.values(central.replica.state.sessions).find(
          (s) => s.chargePointId === central.chargePointId,
        );
        if (session === undefined) return;
        central.replica.apply({
          type: 'UpdateNeeds',
          atMs: Date.now(),
          transactionId: session.transactionId,
          energyRequestedWh: needs.energyAmountWh,
          minPowerW: needs.minPowerW,
          maxPowerW: needs.maxPowerW,
          departureAtMs: needs.departureAtMs,
        });
        central.onApplied();
      });
    }
    return this.needsAnswer;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-cp-'));
}

/** Waits for `check` to hold, polling each 5 ms; fails after `timeoutMs` (no fixed sleeps). */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
