// The public API of @evpaxos/charge-point: the charge point role for `evpaxos charge-point` (the
// cli is its only user; the controller and its parts are internal, docs/STYLE.md: small public API).
export { chargePointExtension, type ChargePointExtensionOptions } from './extension';
