// The public API of @evpaxos/central-system: the central's role extension for the runtime (what
// `evpaxos central` runs); the CSMS, the reservations API and their constants stay inside.
export { centralExtension } from './extension';
