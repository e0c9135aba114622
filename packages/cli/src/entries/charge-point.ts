/**
 * `evpaxos charge-point` as one bundle: scripts/bundle.mjs makes dist/bundle/charge-point.js of
 * this file and everything it imports, and bin/evpaxos.js runs it when the first argument is
 * `charge-point` (docs/CLUSTER.md, "Memory": why a node process runs a bundle).
 */
import { chargePointCommand } from '../commands/charge-point';
import { runCli } from '../run-cli';

export function main(argv: string[]): Promise<void> {
  return runCli(argv, [chargePointCommand]);
}
