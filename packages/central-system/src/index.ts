// The public API of @evpaxos/central-system: the central's role extension for the runtime.
export { centralExtension, type CentralExtensionOptions } from './extension';
export {
  CentralService,
  type CentralServiceOptions,
  type CentralServiceCollaborators,
} from './central-service';
export { reservationRoutes } from './reservations';
export { needsFromRequest, type NeedsFields } from './needs';
export * from './constants';
