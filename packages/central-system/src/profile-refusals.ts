/**
 * Stations that refuse SetChargingProfile (Smart Charging is optional in OCPP 2.0.1, K01): the
 * refusal is recorded in the replicated state once per station (RecordProfileRefused, so the site
 * budgets its sessions at its maximum power), and profiles to it back off exponentially instead of
 * being resent after every decided batch.
 */
import type { Logger } from '@evpaxos/runtime';
import type { SiteState } from '@evpaxos/site';
import type { CommandDraft, SubmitOutcome } from './central-service';
import { PROFILE_REFUSAL_BACKOFF_MS_INITIAL, PROFILE_REFUSAL_BACKOFF_MS_MAX } from './constants';

interface Refusals {
  count: number;
  /** No profile to this station before this time (monotonic ms). */
  untilMs: number;
  recording: boolean;
}

export class ProfileRefusals {
  private readonly byStation = new Map<string, Refusals>();

  constructor(
    private readonly submit: (draft: CommandDraft) => Promise<SubmitOutcome>,
    private readonly readState: () => SiteState,
    private readonly logger: Logger,
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {}

  /** False while a station's backoff runs. */
  maySend(chargePointId: string): boolean {
    const refusals = this.byStation.get(chargePointId);
    return refusals === undefined || this.monotonicMs() >= refusals.untilMs;
  }

  accepted(chargePointId: string): void {
    this.byStation.delete(chargePointId);
  }

  /** A Rejected status or a CALLERROR (e.g. NotImplemented, NotSupported). */
  refused(chargePointId: string, transactionId: string, why: string): void {
    const refusals = this.byStation.get(chargePointId) ?? {
      count: 0,
      untilMs: 0,
      recording: false,
    };
    this.byStation.set(chargePointId, refusals);
    refusals.count += 1;
    const backoffMs = Math.min(
      PROFILE_REFUSAL_BACKOFF_MS_MAX,
      PROFILE_REFUSAL_BACKOFF_MS_INITIAL * 2 ** Math.min(refusals.count - 1, 20),
    );
    refusals.untilMs = this.monotonicMs() + backoffMs;
    this.logger.warn('profile-refused', {
      chargePointId,
      transactionId,
      why,
      refusals: refusals.count,
      retryInMs: backoffMs,
    });
    const known = this.readState().chargePoints[chargePointId];
    if (known === undefined || known.profilesRefused === true || refusals.recording) return;
    refusals.recording = true;
    void this.submit({ type: 'RecordProfileRefused', chargePointId }).then((outcome) => {
      refusals.recording = false;
      this.logger.info('profile-refusal-recorded', {
        chargePointId,
        agreed: outcome.ok && outcome.result.ok,
      });
    });
  }

  /** When a station is due again (the push schedules a retry then), or null. */
  retryInMs(chargePointId: string): number | null {
    const refusals = this.byStation.get(chargePointId);
    if (refusals === undefined) return null;
    return Math.max(0, refusals.untilMs - this.monotonicMs());
  }

  clear(): void {
    this.byStation.clear();
  }
}
