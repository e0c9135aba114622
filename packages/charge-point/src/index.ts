// The public API of @evpaxos/charge-point: the charge point role for `evpaxos charge-point`.
export { chargePointExtension, centralUrls, type ChargePointExtensionOptions } from './extension';
export {
  EvseController,
  type EvseControllerOptions,
  type EvseControllerCollaborators,
  type ControllerLogger,
  type EvseView,
} from './evse-controller';
export {
  TransactionQueue,
  type QueuedEvent,
  type TransactionQueueOptions,
  type NewTransactionEvent,
} from './transaction-queue';
export { OfflineCsmsLink } from './offline-link';
export type * from './csms-link';
export * from './constants';
