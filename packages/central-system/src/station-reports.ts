/**
 * What a station reports besides the charging core (docs/OCPP.md, conformance table): meter
 * readings become RecordMeterValues in the replicated state (J01/J02), a ReservationStatusUpdate
 * frees the reservation it names (H04), and the rest (security events, device-model events and
 * reports, firmware and log upload status, reported charging profiles) is logged and acknowledged:
 * each of them has the empty object as its response in OCPP 2.0.1, and none changes the site.
 */
import type {
  CsmsServer,
  IdToken,
  IdTokenInfo,
  MeterValue,
  MeterValuesRequest,
  SampledValue,
} from '@evpaxos/ocpp';
import type { Logger } from '@evpaxos/runtime';
import type { SiteState } from '@evpaxos/site';
import type { CommandDraft, SubmitOutcome } from './central-service';
import { METER_RECORD_INTERVAL_MS, REPORT_ITEMS_LOGGED_MAX } from './constants';

/** A session's meter as a station reported it, in Wh and W. */
export interface MeterReading {
  /** Energy.Active.Import.Register (the default measurand, J01), Wh. */
  readonly registerWh: number | null;
  /** The register sampled with context Transaction.Begin, Wh. */
  readonly startRegisterWh: number | null;
  /** Power.Active.Import, W. */
  readonly powerW: number | null;
}

const ENERGY = 'Energy.Active.Import.Register';
const POWER = 'Power.Active.Import';

/** A sample in its base unit (Wh or W): unit k-prefixed or not, times 10^multiplier. */
function baseValue(sample: SampledValue): number {
  const unit = sample.unitOfMeasure?.unit ?? '';
  const kilo = unit === 'kWh' || unit === 'kW' ? 1_000 : 1;
  return sample.value * kilo * 10 ** (sample.unitOfMeasure?.multiplier ?? 0);
}

/**
 * The latest energy register and power in the meter values, and the Transaction.Begin register.
 * Phase samples are skipped (the totals are what the site budgets); a sampledValue without a
 * measurand is Energy.Active.Import.Register (the schema's default).
 */
export function readMeter(meterValues: readonly MeterValue[] | undefined): MeterReading {
  let registerWh: number | null = null;
  let startRegisterWh: number | null = null;
  let powerW: number | null = null;
  for (const meterValue of meterValues ?? []) {
    for (const sample of meterValue.sampledValue) {
      if (sample.phase !== undefined) continue;
      const measurand = sample.measurand ?? ENERGY;
      const value = baseValue(sample);
      if (!Number.isFinite(value) || value < 0) continue;
      if (measurand === ENERGY) {
        registerWh = Math.round(value);
        if (sample.context === 'Transaction.Begin') startRegisterWh = registerWh;
      } else if (measurand === POWER) {
        powerW = Math.round(value);
      }
    }
  }
  return { registerWh, startRegisterWh, powerW };
}

/** docs/SITE.md: Authorize accepts any idToken except "BLOCKED". */
export function idTokenInfoFor(idToken: IdToken): IdTokenInfo {
  const blocked = idToken.idToken === 'BLOCKED' || (idToken.type as string) === 'BLOCKED';
  return { status: blocked ? 'Blocked' : 'Accepted' };
}

export interface StationReportsCollaborators {
  readonly submit: (draft: CommandDraft) => Promise<SubmitOutcome>;
  readonly readState: () => SiteState;
  readonly logger: Logger;
  /** performance.now-like, ms: paces the meter records. */
  readonly monotonicMs?: () => number;
}

export class StationReports {
  /** By transactionId: when its meter was last submitted (monotonic ms). */
  private readonly lastRecordedAtMs = new Map<string, number>();

  constructor(private readonly collaborators: StationReportsCollaborators) {}

  /**
   * Logs the reading (the line `evpaxos verify` checks against the grant) and records it in the
   * replicated state at most once per METER_RECORD_INTERVAL_MS per session (a limit on every
   * stream: a station sampling every second must not fill the log); `force` records it anyway
   * (the first reading, which fixes the start register).
   */
  async recordMeter(
    chargePointId: string,
    transactionId: string,
    reading: MeterReading,
    force = false,
  ): Promise<void> {
    const { logger, readState, submit } = this.collaborators;
    if (reading.registerWh === null && reading.powerW === null) return;
    const session = readState().sessions[transactionId];
    logger.info('station-meter', {
      chargePointId,
      transactionId,
      registerWh: reading.registerWh,
      powerW: reading.powerW,
      allocatedW: session?.allocatedW ?? null,
      allocationStatus: session?.allocationStatus ?? null,
    });
    if (reading.registerWh === null || session === undefined) return;
    const now = (this.collaborators.monotonicMs ?? performance.now.bind(performance))();
    const last = this.lastRecordedAtMs.get(transactionId);
    const first = session.meter === undefined;
    if (!force && !first && last !== undefined && now - last < METER_RECORD_INTERVAL_MS) return;
    this.lastRecordedAtMs.set(transactionId, now);
    const outcome = await submit({
      type: 'RecordMeterValues',
      transactionId,
      registerWh: reading.registerWh,
      ...(reading.startRegisterWh === null ? {} : { startRegisterWh: reading.startRegisterWh }),
      ...(reading.powerW === null ? {} : { powerW: reading.powerW }),
    });
    if (!outcome.ok || !outcome.result.ok) {
      // Not agreed now: the next reading retries; a stale one is simply superseded.
      this.lastRecordedAtMs.delete(transactionId);
      logger.info('meter-not-recorded', {
        chargePointId,
        transactionId,
        reason: outcome.ok && !outcome.result.ok ? outcome.result.reason : 'not agreed',
      });
    }
  }

  forget(transactionId: string): void {
    this.lastRecordedAtMs.delete(transactionId);
  }

  /** J01 MeterValues: for the session on the EVSE, if there is one (else only logged). */
  private async meterValues(chargePointId: string, request: MeterValuesRequest): Promise<void> {
    const session = Object.values(this.collaborators.readState().sessions).find(
      (candidate) =>
        candidate.chargePointId === chargePointId && candidate.connectorId === request.evseId,
    );
    const reading = readMeter(request.meterValue);
    if (session === undefined) {
      this.collaborators.logger.info('station-meter', {
        chargePointId,
        evseId: request.evseId,
        transactionId: null,
        registerWh: reading.registerWh,
        powerW: reading.powerW,
      });
      return;
    }
    await this.recordMeter(chargePointId, session.transactionId, reading);
  }

  /**
   * H04: the station tells us a reservation expired or was removed: free it in the site state
   * (CancelReservation; an id the site no longer holds is already free).
   */
  private async reservationEnded(
    chargePointId: string,
    reservationId: number,
    status: string,
  ): Promise<void> {
    const { logger, readState, submit } = this.collaborators;
    logger.info('reservation-status-update', { chargePointId, reservationId, status });
    const held = readState().reservations[String(reservationId)];
    if (held === undefined || held.chargePointId !== chargePointId) return;
    const outcome = await submit({ type: 'CancelReservation', reservationId });
    logger.info('reservation-released', {
      chargePointId,
      reservationId,
      status,
      agreed: outcome.ok && outcome.result.ok,
    });
  }

  register(server: CsmsServer): void {
    const { logger } = this.collaborators;
    server.handle('MeterValues', async (chargePointId, request) => {
      await this.meterValues(chargePointId, request);
      return {};
    });
    server.handle('ReservationStatusUpdate', async (chargePointId, request) => {
      await this.reservationEnded(
        chargePointId,
        request.reservationId,
        request.reservationUpdateStatus,
      );
      return {};
    });
    server.handle('SecurityEventNotification', (chargePointId, request) => {
      logger.warn('security-event', {
        chargePointId,
        type: request.type,
        timestamp: request.timestamp,
        techInfo: request.techInfo ?? null,
      });
      return {};
    });
    server.handle('NotifyEvent', (chargePointId, request) => {
      logger.info('station-event', {
        chargePointId,
        seqNo: request.seqNo,
        tbc: request.tbc ?? false,
        events: request.eventData.slice(0, REPORT_ITEMS_LOGGED_MAX).map((event) => ({
          component: event.component.name,
          variable: event.variable.name,
          actualValue: event.actualValue.slice(0, 100),
          trigger: event.trigger,
        })),
      });
      return {};
    });
    server.handle('NotifyReport', (chargePointId, request) => {
      logger.info('station-report', {
        chargePointId,
        requestId: request.requestId,
        seqNo: request.seqNo,
        tbc: request.tbc ?? false,
        items: (request.reportData ?? []).slice(0, REPORT_ITEMS_LOGGED_MAX).map((item) => ({
          component: item.component.name,
          variable: item.variable.name,
          value: item.variableAttribute[0]?.value?.slice(0, 100) ?? null,
        })),
      });
      return {};
    });
    server.handle('FirmwareStatusNotification', (chargePointId, request) => {
      logger.info('firmware-status', {
        chargePointId,
        status: request.status,
        requestId: request.requestId ?? null,
      });
      return {};
    });
    server.handle('LogStatusNotification', (chargePointId, request) => {
      logger.info('log-status', {
        chargePointId,
        status: request.status,
        requestId: request.requestId ?? null,
      });
      return {};
    });
    server.handle('ReportChargingProfiles', (chargePointId, request) => {
      logger.info('station-charging-profiles', {
        chargePointId,
        requestId: request.requestId,
        evseId: request.evseId,
        tbc: request.tbc ?? false,
        profileIds: request.chargingProfile.map((profile) => profile.id),
      });
      return {};
    });
  }
}
