import type { CsmsCallHandlers, CsmsLink } from './csms-link';

/**
 * A CSMS link that is never online: the charge point runs stand-alone (OCPP 1.6 §3.5 / 2.0.1 B04),
 * authorising offline, queueing every TransactionEvent and charging at fail-safe power. Used when
 * no OCPP client is configured, and in tests.
 */
export class OfflineCsmsLink implements CsmsLink {
  readonly online = false;
  onOnlineChange(): () => void {
    return () => undefined;
  }
  setHandlers(_handlers: CsmsCallHandlers): void {}
  authorize(): Promise<never> {
    return Promise.reject(new Error('offline'));
  }
  statusNotification(): Promise<never> {
    return Promise.reject(new Error('offline'));
  }
  transactionEvent(): Promise<never> {
    return Promise.reject(new Error('offline'));
  }
  notifyEvChargingNeeds(): Promise<never> {
    return Promise.reject(new Error('offline'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
