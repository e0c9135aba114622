/**
 * `evpaxos central`'s role: the site state machine on every central (the same as the charge points
 * run), and the CSMS + reservations API attached once the node runs.
 */
import {
  ocppScheme,
  ocppSecurityConfigSection,
  ocppSecurityDefault,
  readServerTls,
  stationPasswordLookup,
} from '@evpaxos/ocpp';
import { configSection, type Logger, type RoleExtension, type RunningNode } from '@evpaxos/runtime';
import {
  createSiteStateMachine,
  parseSiteCommand,
  siteConfigSection,
  type SiteOptions,
  type SiteStateMachine,
} from '@evpaxos/site';
import { CentralService } from './central-service';
import { operationRoutes } from './operations';
import { logReservationEvents } from './reservation-log';
import { reservationRoutes } from './reservations';
import { ReserveNowNotifier } from './reserve-now';

export interface CentralExtensionOptions {
  /**
   * Site options; every replica must use the same. Default: the cluster file's `site` section
   * (siteConfigSection, which this role declares), i.e. `{ siteLimitW, leaseMs }` when present.
   */
  readonly site?: SiteOptions;
}

export function centralExtension(options: CentralExtensionOptions = {}): RoleExtension {
  let machine: SiteStateMachine | undefined;
  return {
    configSections: [siteConfigSection, ocppSecurityConfigSection],
    createStateMachine(config) {
      // Every replica builds the site from the same cluster-file section.
      machine = createSiteStateMachine(
        options.site ?? configSection(config, siteConfigSection) ?? {},
      );
      return machine;
    },
    createCommandValidator(config) {
      // A site command is checked before it is proposed (docs/CLUSTER.md): a malformed one is
      // refused with 400 and takes no slot. A consensus-only cluster (no servicePort, see attach)
      // runs as a plain proposer of opaque payloads, as before.
      return config.self.servicePort === undefined ? undefined : parseSiteCommand;
    },
    async attach(running: RunningNode, logger: Logger) {
      const replica = machine;
      if (replica === undefined)
        throw new Error('attach before createStateMachine: the runtime must call it first');
      const { config } = running;
      if (config.self.servicePort === undefined) {
        // runtime config.ts: "a consensus-only cluster has none" — run as a plain proposer.
        logger.warn('csms-disabled', {
          id: config.id,
          reason: 'no servicePort in the cluster file: no OCPP server, no /reservations',
        });
        return { close: async () => undefined };
      }
      const readState = () => replica.state;
      // docs/OCPP.md, "Security profiles": default profile 1 (Basic auth, derived passwords).
      const security = configSection(config, ocppSecurityConfigSection) ?? ocppSecurityDefault;
      const chargePointIds = config.nodes
        .filter((member) => member.role === 'charge-point')
        .map((member) => member.id);
      const passwordOf = stationPasswordLookup(security, config.secret, chargePointIds);
      const tls = readServerTls(security);
      const service = new CentralService(
        {
          host: config.listenHost,
          port: config.self.servicePort,
          ...(tls ? { tls } : {}),
          ...(security.callsPerSecondMax ? { callsPerSecondMax: security.callsPerSecondMax } : {}),
          ...(security.callBurstMax ? { callBurstMax: security.callBurstMax } : {}),
        },
        { node: running.node, readState, logger, ...(passwordOf ? { passwordOf } : {}) },
      );
      const port = await service.start();
      const notifier = new ReserveNowNotifier(service, running.node, readState, logger);
      notifier.start();
      const stopLogging = running.node.onApplied((entries) =>
        logReservationEvents(entries, logger),
      );
      const removeRoutes = running.addHttpRoutes(
        reservationRoutes(service, running.node, readState, notifier),
      );
      const removeRelay = running.addHttpRoutes(service.routes());
      const removeLeaseAsks = running.addHttpRoutes(service.leaseRoutes());
      const removeOperations = running.addHttpRoutes(
        operationRoutes(service, running.node, readState),
      );
      logger.info('csms-started', {
        id: config.id,
        ocppUrl: `${ocppScheme(security)}://${config.self.host}:${port}/<chargePointId>`,
        securityProfile: security.profile,
        siteLimitW: replica.state.config.siteLimitW,
      });
      return {
        async close() {
          removeRoutes();
          stopLogging();
          notifier.stop();
          removeRelay();
          removeLeaseAsks();
          removeOperations();
          await service.close();
        },
      };
    },
  };
}
