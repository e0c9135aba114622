/**
 * Our charge point's answers to the operator's CSMS → station operations (docs/OCPP.md, conformance
 * table): the device model (Get/SetVariables, GetBaseReport → NotifyReport), TriggerMessage,
 * ChangeAvailability, UnlockConnector, the smart-charging queries (GetCompositeSchedule,
 * GetChargingProfiles → ReportChargingProfiles, ClearChargingProfile), the remote start and stop
 * (F01–F03, done by the EVSE in remote-control.ts) and Reset (B11/B12: the station's OCPP side
 * reboots; the Paxos acceptor and learner in the same process keep running, docs/OCPP.md).
 */
import type {
  ChargingProfile,
  ChargingStationClient,
  ConnectorStatus,
  GetChargingProfilesRequest,
  MessageTrigger,
} from '@evpaxos/ocpp';
import type { Logger } from '@evpaxos/runtime';
import { isoFromMs } from '@evpaxos/site';
import { CONNECTOR_ID, EV_CONNECTION_TIMEOUT_S_DEFAULT } from './constants';
import type { CsmsCallHandlers } from './csms-link';
import type { DeviceModel } from './device-model';

/** What the operations read of the EVSE (EvseController.view()). */
export interface StationView {
  readonly transactionId: string | null;
  readonly limitW: number | null;
}

export interface StationOperationsCollaborators {
  readonly client: ChargingStationClient;
  readonly model: DeviceModel;
  readonly logger: Logger;
  readonly chargePointId: string;
  readonly view: () => StationView;
  /** Sends StatusNotification (the adapter applies the availability). */
  readonly sendStatus: (status: ConnectorStatus) => Promise<void>;
  readonly sendBoot: () => Promise<void>;
  readonly sendHeartbeat: () => Promise<void>;
  /** The TxProfiles this station accepted and holds, by evseId. */
  readonly profiles: Map<number, ChargingProfile>;
  /** The EVSE's remote start/stop and its side of a reset (evse-controller.ts). */
  readonly evse: Pick<
    CsmsCallHandlers,
    'requestStartTransaction' | 'requestStopTransaction' | 'endTransactionForReset' | 'whenIdle'
  >;
  /** Reboots the station's OCPP side: the link closes and reconnects, BootNotification RemoteReset. */
  readonly reboot: () => Promise<void>;
}

/** The connector's availability as the operator set it (G03); Operative unless changed. */
export class Availability {
  inoperative = false;
  /** Bumped by every ChangeAvailability: a Scheduled one superseded by a newer one does nothing. */
  generation = 0;
}

/** A Reset the station accepted and has not done yet (B12 OnIdle: Scheduled). */
interface Resets {
  /** Bumped by every accepted Reset: a scheduled one superseded by a newer one does nothing. */
  generation: number;
  scheduled: boolean;
}

function later(task: () => Promise<unknown>, logger: Logger, what: string): void {
  // After the CALLRESULT has gone out (the CSMS expects the response first, e.g. B07, F06).
  setImmediate(() => {
    task().catch((error: unknown) =>
      logger.warn('station-operation-failed', { what, error: String(error) }),
    );
  });
}

function matches(
  profile: ChargingProfile,
  criteria: GetChargingProfilesRequest['chargingProfile'],
): boolean {
  return (
    (criteria.chargingProfilePurpose === undefined ||
      criteria.chargingProfilePurpose === profile.chargingProfilePurpose) &&
    (criteria.stackLevel === undefined || criteria.stackLevel === profile.stackLevel) &&
    (criteria.chargingProfileId === undefined || criteria.chargingProfileId.includes(profile.id)) &&
    (criteria.chargingLimitSource === undefined || criteria.chargingLimitSource.includes('CSO'))
  );
}

export function registerStationOperations(
  collaborators: StationOperationsCollaborators,
  availability: Availability,
): void {
  const resets: Resets = { generation: 0, scheduled: false };
  registerDeviceModel(collaborators);
  registerSmartChargingQueries(collaborators);
  registerControls(collaborators, availability);
  registerRemoteControl(collaborators, availability, resets);
  registerReset(collaborators, resets);
}

const declined = (reasonCode: string, additionalInfo: string) => ({
  status: 'Rejected' as const,
  statusInfo: { reasonCode, additionalInfo },
});

/** F01/F02 RequestStartTransaction, F03 RequestStopTransaction. */
function registerRemoteControl(
  collaborators: StationOperationsCollaborators,
  availability: Availability,
  resets: Resets,
): void {
  const { client, model, logger, evse, chargePointId } = collaborators;
  client.handle('RequestStartTransaction', (request) => {
    // F01: without an evseId the station picks the EVSE; it has one.
    const evseId = request.evseId ?? CONNECTOR_ID;
    if (evseId !== CONNECTOR_ID) {
      return declined('UnknownEvse', `this station has EVSE ${CONNECTOR_ID} only`);
    }
    if (availability.inoperative) {
      return declined('Inoperative', `EVSE ${CONNECTOR_ID} is Inoperative (ChangeAvailability)`);
    }
    if (resets.scheduled) {
      return declined('ResetScheduled', 'a Reset OnIdle is scheduled: no new transaction now');
    }
    if (request.chargingProfile !== undefined) {
      // K05: the EV's power comes from the schedule the site agrees for the session, as for any
      // session (power-governor.ts), not from a profile sent with the start.
      logger.info('remote-start-profile-not-applied', {
        chargePointId,
        profileId: request.chargingProfile.id,
      });
    }
    const timeoutS = Number(
      model.value('TxCtrlr', 'EVConnectionTimeOut') ?? EV_CONNECTION_TIMEOUT_S_DEFAULT,
    );
    const answer = evse.requestStartTransaction({
      idToken: request.idToken,
      remoteStartId: request.remoteStartId,
      evConnectionTimeoutMs: timeoutS * 1_000,
    });
    logger.info('remote-start', { chargePointId, remoteStartId: request.remoteStartId, answer });
    if (answer.status === 'Accepted') return { status: 'Accepted' };
    return {
      ...declined(answer.reasonCode, answer.additionalInfo),
      ...(answer.transactionId === undefined ? {} : { transactionId: answer.transactionId }),
    };
  });
  client.handle('RequestStopTransaction', (request) => {
    const stopped = evse.requestStopTransaction(request.transactionId);
    logger.info('remote-stop', { chargePointId, transactionId: request.transactionId, stopped });
    return stopped
      ? { status: 'Accepted' }
      : declined('UnknownTransaction', `no transaction ${request.transactionId} here`);
  });
}

/**
 * B11 (no transaction) / B12 (with one) Reset: OnIdle reboots now when idle, else answers Scheduled
 * and reboots once the transaction ended; Immediate ends the transaction (ImmediateReset) and
 * reboots. A reset of a single EVSE is not supported (the station has one): Rejected.
 */
function registerReset(collaborators: StationOperationsCollaborators, resets: Resets): void {
  const { client, logger, view, evse, reboot, chargePointId } = collaborators;
  client.handle('Reset', (request) => {
    if (request.evseId !== undefined) {
      return declined(
        'EvseResetUnsupported',
        `reset the station as a whole (no evseId): it has EVSE ${CONNECTOR_ID} only`,
      );
    }
    resets.generation += 1;
    const generation = resets.generation;
    const idle = view().transactionId === null;
    logger.info('reset-requested', { chargePointId, type: request.type, idle });
    if (request.type === 'Immediate' || idle) {
      resets.scheduled = false;
      later(
        async () => {
          if (!idle) await evse.endTransactionForReset();
          await reboot();
        },
        logger,
        'Reset',
      );
      return { status: 'Accepted' };
    }
    resets.scheduled = true;
    later(
      async () => {
        const ended = await evse.whenIdle();
        if (generation !== resets.generation) return;
        resets.scheduled = false;
        if (!ended) {
          logger.warn('reset-abandoned', { chargePointId, reason: 'the transaction still runs' });
          return;
        }
        await reboot();
      },
      logger,
      'Reset',
    );
    return { status: 'Scheduled' };
  });
}

/** B05–B07. */
function registerDeviceModel(collaborators: StationOperationsCollaborators): void {
  const { client, model, logger } = collaborators;
  client.handle('GetVariables', (request) => ({
    getVariableResult: request.getVariableData.map((data) => model.get(data)),
  }));
  client.handle('SetVariables', (request) => ({
    setVariableResult: request.setVariableData.map((data) => model.set(data)),
  }));
  client.handle('GetBaseReport', (request) => {
    const reportData = model.report(request.reportBase);
    if (reportData.length === 0) return { status: 'EmptyResultSet' };
    later(
      () =>
        client.call('NotifyReport', {
          requestId: request.requestId,
          generatedAt: isoFromMs(Date.now()),
          seqNo: 0,
          tbc: false,
          reportData,
        }),
      logger,
      'NotifyReport',
    );
    return { status: 'Accepted' };
  });
}

/** F06 TriggerMessage, G03 ChangeAvailability, F05 UnlockConnector. */
function registerControls(
  collaborators: StationOperationsCollaborators,
  availability: Availability,
): void {
  const { client, model, logger, view, evse } = collaborators;
  const triggers: Partial<Record<MessageTrigger, () => Promise<unknown>>> = {
    BootNotification: collaborators.sendBoot,
    Heartbeat: collaborators.sendHeartbeat,
    StatusNotification: () =>
      collaborators.sendStatus(view().transactionId === null ? 'Available' : 'Occupied'),
  };
  client.handle('TriggerMessage', (request) => {
    const trigger = triggers[request.requestedMessage];
    if (trigger === undefined) return { status: 'NotImplemented' };
    later(trigger, logger, request.requestedMessage);
    return { status: 'Accepted' };
  });

  client.handle('ChangeAvailability', (request) => {
    const evseId = request.evse?.id ?? 0;
    if (evseId !== 0 && evseId !== CONNECTOR_ID) {
      return declined('UnknownEvse', `this station has EVSE ${CONNECTOR_ID} only`);
    }
    const inoperative = request.operationalStatus === 'Inoperative';
    availability.generation += 1;
    const generation = availability.generation;
    const apply = (): void => {
      availability.inoperative = inoperative;
      model.setInternal(
        'ChargingStation',
        'AvailabilityState',
        inoperative ? 'Unavailable' : 'Available',
      );
      // The central records Unavailable as the EVSE out of service (G03/G04), Available as back.
      later(
        () => collaborators.sendStatus(inoperative ? 'Unavailable' : 'Available'),
        logger,
        'StatusNotification',
      );
      logger.info('availability-changed', {
        chargePointId: collaborators.chargePointId,
        inoperative,
      });
    };
    if (inoperative && view().transactionId !== null) {
      // G03.FR.05: a running transaction finishes first; the EVSE goes Inoperative after it.
      later(
        async () => {
          if ((await evse.whenIdle()) && availability.generation === generation) apply();
        },
        logger,
        'ChangeAvailability',
      );
      return { status: 'Scheduled' };
    }
    apply();
    return { status: 'Accepted' };
  });

  client.handle('UnlockConnector', (request) => {
    if (request.evseId !== CONNECTOR_ID || request.connectorId !== CONNECTOR_ID) {
      return { status: 'UnknownConnector' };
    }
    // F05.FR.02: not while an authorised transaction runs (RequestStopTransaction first).
    return { status: view().transactionId === null ? 'Unlocked' : 'OngoingAuthorizedTransaction' };
  });
}

/** K08 GetCompositeSchedule, K09 GetChargingProfiles, K10 ClearChargingProfile. */
function registerSmartChargingQueries(collaborators: StationOperationsCollaborators): void {
  const { client, logger, view, profiles } = collaborators;
  client.handle('GetCompositeSchedule', (request) => {
    if (request.evseId !== CONNECTOR_ID && request.evseId !== 0) {
      return declined('UnknownEvse', `this station has EVSE ${CONNECTOR_ID} only`);
    }
    if (request.chargingRateUnit === 'A')
      return declined('UnsupportedRateUnit', 'limits are in W here');
    const limitW = view().limitW;
    return {
      status: 'Accepted',
      schedule: {
        evseId: request.evseId,
        duration: request.duration,
        scheduleStart: isoFromMs(Date.now()),
        chargingRateUnit: 'W',
        // The grant the site holds for the session now (0 W without one).
        chargingSchedulePeriod: [{ startPeriod: 0, limit: limitW ?? 0 }],
      },
    };
  });

  client.handle('GetChargingProfiles', (request) => {
    const found = [...profiles.entries()].filter(
      ([evseId, profile]) =>
        (request.evseId === undefined || request.evseId === evseId) &&
        matches(profile, request.chargingProfile),
    );
    if (found.length === 0) return { status: 'NoProfiles' };
    found.forEach(([evseId, profile], index) =>
      later(
        () =>
          client.call('ReportChargingProfiles', {
            requestId: request.requestId,
            chargingLimitSource: 'CSO',
            evseId,
            chargingProfile: [profile],
            tbc: index < found.length - 1,
          }),
        logger,
        'ReportChargingProfiles',
      ),
    );
    return { status: 'Accepted' };
  });

  client.handle('ClearChargingProfile', (request) => {
    let cleared = 0;
    for (const [evseId, profile] of [...profiles.entries()]) {
      const criteria = request.chargingProfileCriteria;
      const hit =
        (request.chargingProfileId === undefined || request.chargingProfileId === profile.id) &&
        (criteria?.evseId === undefined || criteria.evseId === evseId) &&
        (criteria?.chargingProfilePurpose === undefined ||
          criteria.chargingProfilePurpose === profile.chargingProfilePurpose) &&
        (criteria?.stackLevel === undefined || criteria.stackLevel === profile.stackLevel);
      if (hit) {
        profiles.delete(evseId);
        cleared += 1;
      }
    }
    // The power the site granted stays in force: it comes from the replica, not from the profile.
    return { status: cleared > 0 ? 'Accepted' : 'Unknown' };
  });
}
