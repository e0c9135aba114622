/**
 * A partition cuts a station's OCPP link along with its cluster links (docs/OCPP.md, "Failover"):
 * the launcher's, a scenario's and `PUT /faults` partitions are fault rules on the cluster mesh,
 * while a real network partition cuts every link between two hosts. A central whose rules drop all
 * of a station's messages closes that station's connection and refuses its reconnects, so the
 * station rotates to a central on its own side (B10) instead of staying on one that can no longer
 * reach a quorum for it.
 */
import type { CsmsServer } from '@evpaxos/ocpp';
import type { FaultRule, Logger } from '@evpaxos/runtime';

/** The WebSocket close code for a cut station: 1001, "going away" (RFC 6455 §7.4.1). */
export const STATION_CUT_CLOSE_CODE = 1001;

/**
 * Why `rules` cut station `chargePointId` from this central, or undefined when they do not. A cut
 * is a certain drop (probability 1) of the station's messages in either direction, or of every
 * peer's: OCPP is request and response, so a link that loses one direction is lost. Delays,
 * duplicates and lossy links are not cuts (the cluster rides them out, so does OCPP).
 */
export function stationCutReason(
  rules: readonly FaultRule[],
  chargePointId: string,
): string | undefined {
  for (const rule of rules) {
    if (rule.action !== 'drop' || (rule.probability ?? 1) < 1) continue;
    if (rule.peer !== '*' && rule.peer !== chargePointId) continue;
    const whom = rule.peer === '*' ? 'every peer' : chargePointId;
    return `partitioned: this central's fault rules drop ${rule.direction === 'both' ? 'all' : rule.direction + 'bound'} messages of ${whom}, so its OCPP link is cut too`;
  }
  return undefined;
}

/**
 * Applies the node's fault rules to the OCPP server: refuses upgrades from cut stations (HTTP 503
 * with the reason, logged by the server as `ocpp-upgrade-refused`) and closes the connections of
 * stations a new rule cuts (logged `ocpp-station-cut`). Returns a stop function.
 */
export function gateStationsByFaults(
  server: CsmsServer,
  faults: {
    readonly faults: readonly FaultRule[];
    onFaultsChanged(listener: (rules: readonly FaultRule[]) => void): () => void;
  },
  logger: Logger,
): () => void {
  let rules = faults.faults;
  server.accept(({ chargePointId }) => stationCutReason(rules, chargePointId) ?? true);
  const closeCut = (): void => {
    for (const chargePointId of server.connectedIds()) {
      const reason = stationCutReason(rules, chargePointId);
      if (reason === undefined) continue;
      logger.warn('ocpp-station-cut', { chargePointId, reason });
      void server.disconnect(
        chargePointId,
        STATION_CUT_CLOSE_CODE,
        'partitioned from this central',
      );
    }
  };
  const stop = faults.onFaultsChanged((next) => {
    rules = next;
    closeCut();
  });
  closeCut();
  return () => {
    stop();
    server.accept(() => true);
  };
}
