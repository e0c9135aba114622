/**
 * `evpaxos central` as one bundle: scripts/bundle.mjs makes dist/bundle/central.js of this file
 * and everything it imports, and bin/evpaxos.js runs it when the first argument is `central`
 * (docs/CLUSTER.md, "Memory": why a node process runs a bundle).
 */
import { centralCommand } from '../commands/central';
import { runCli } from '../run-cli';

export function main(argv: string[]): Promise<void> {
  return runCli(argv, [centralCommand]);
}
