/**
 * `evpaxos central`'s role: the site state machine on every central (the same as the charge points
 * run), and the CSMS + reservations API attached once the node runs.
 */
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
import { reservationRoutes } from './reservations';

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
    configSections: [siteConfigSection],
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
      const service = new CentralService(
        { host: config.listenHost, port: config.self.servicePort },
        { node: running.node, readState, logger },
      );
      const port = await service.start();
      const removeRoutes = running.addHttpRoutes(
        reservationRoutes(service, running.node, readState),
      );
      const removeOperations = running.addHttpRoutes(
        operationRoutes(service, running.node, readState),
      );
      logger.info('csms-started', {
        id: config.id,
        ocppUrl: `ws://${config.self.host}:${port}/<chargePointId>`,
        siteLimitW: replica.state.config.siteLimitW,
      });
      return {
        async close() {
          removeRoutes();
          removeOperations();
          await service.close();
        },
      };
    },
  };
}
