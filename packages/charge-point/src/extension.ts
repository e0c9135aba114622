/**
 * The charge point's role in a node process (`evpaxos charge-point`): the site state machine as the
 * replicated state, and, once the node runs, the EV link server on the node's servicePort, the EVSE
 * controller, the OCPP link to the centrals and the durable TransactionEvent queue.
 */
import * as path from 'node:path';
import { EvLinkServer } from '@evpaxos/ev-link';
import { ocppScheme, ocppSecurityConfigSection, ocppSecurityDefault } from '@evpaxos/ocpp';
import {
  configSection,
  type RoleExtension,
  type RunningNode,
  type Logger,
  type ProcessConfig,
} from '@evpaxos/runtime';
import {
  createSiteStateMachine,
  siteConfigSection,
  type SiteOptions,
  type SiteStateMachine,
} from '@evpaxos/site';
import { QUEUE_FILE_NAME } from './constants';
import type { CsmsLink } from './csms-link';
import { EvseController, type EvseControllerOptions } from './evse-controller';
import { startLeaseAsks } from './lease-asks';
import { OfflineCsmsLink } from './offline-link';
import { createOcppCsmsLink } from './ocpp-adapter';
import { TransactionQueue } from './transaction-queue';

export interface ChargePointExtensionOptions {
  /** Site options; must equal the centrals' (every replica alike). Default: siteLimitW from the cluster file. */
  readonly site?: SiteOptions;
  /** Controller options other than the charge point id. */
  readonly controller?: Omit<EvseControllerOptions, 'chargePointId'>;
  /** Power re-evaluation and sampling period, ms (default 1 000). */
  readonly powerSampleIntervalMs?: number;
  /** TransactionEvents held at most in the durable queue (default 1 000). */
  readonly queueEntriesMax?: number;
  /**
   * Builds the OCPP link to the centrals ws://host:servicePort/<cpId>, in the node list's order.
   * Default: @evpaxos/ocpp's ChargingStationClient (ocpp-adapter.ts).
   */
  readonly createCsmsLink?: (
    config: ProcessConfig,
    centralUrls: readonly string[],
    logger: Logger,
    preferredUrl?: () => string | undefined,
  ) => CsmsLink;
}

/**
 * ws[s]://host:servicePort/<cpId> of every central that has a service port, in node-list order:
 * the station's NetworkConnectionProfiles (B10), tried in turn when one is lost. Any central
 * serves stations (docs/OCPP.md, "Failover"). wss:// under Security Profile 2.
 */
export function centralUrls(config: ProcessConfig): string[] {
  const scheme = ocppScheme(
    configSection(config, ocppSecurityConfigSection) ?? ocppSecurityDefault,
  );
  return config.nodes
    .filter((node) => node.role === 'central' && node.servicePort !== undefined)
    .map((node) => `${scheme}://${node.host}:${node.servicePort}/${encodeURIComponent(config.id)}`);
}

/**
 * Any central serves us, but the leader's needs no forward: the link (re)connects there first when
 * this node knows it (docs/OCPP.md, "Failover"); a leader change later closes nothing.
 */
function leaderUrl(
  config: ProcessConfig,
  urls: readonly string[],
  leaderId: () => string | null,
): () => string | undefined {
  const centralIds = config.nodes
    .filter((node) => node.role === 'central' && node.servicePort !== undefined)
    .map((node) => node.id);
  return () => {
    const index = centralIds.indexOf(leaderId() ?? '');
    return index < 0 ? undefined : urls[index];
  };
}

/** The OCPP link to the centrals, preferring the leader's URL (leaderUrl). */
function openCsmsLink(
  options: ChargePointExtensionOptions,
  config: ProcessConfig,
  logger: Logger,
  leaderId: () => string | null,
): { urls: string[]; csms: CsmsLink } {
  const urls = centralUrls(config);
  const create = options.createCsmsLink ?? defaultCsmsLink;
  return { urls, csms: create(config, urls, logger, leaderUrl(config, urls, leaderId)) };
}

function defaultCsmsLink(
  config: ProcessConfig,
  urls: readonly string[],
  logger: Logger,
  preferredUrl?: () => string | undefined,
): CsmsLink {
  if (urls.length === 0) {
    // A consensus-only cluster file (no central servicePort): run stand-alone, OCPP offline.
    logger.warn('ocpp-client-unavailable', {
      chargePointId: config.id,
      reason: 'no central has a servicePort',
    });
    return new OfflineCsmsLink();
  }
  return createOcppCsmsLink(config, urls, logger, preferredUrl);
}

/**
 * GET /evse: the EVSE, its EV and the power, for the central's dashboard. POST /evse/fault and
 * /evse/recover: the EVSE fails or recovers (docs/CLUSTER.md), 409 when its state does not allow it.
 */
function evseRoute(
  controller: EvseController,
  method: string,
  path: string,
): { status: number; body: unknown } | undefined {
  if (path === '/evse' && method === 'GET') return { status: 200, body: controller.view() };
  if ((path === '/evse/fault' || path === '/evse/recover') && method === 'POST') {
    const fault = path === '/evse/fault';
    const done = fault ? controller.fault() : controller.recover();
    return done
      ? { status: 200, body: { ok: true, state: controller.evseState } }
      : {
          status: 409,
          body: {
            ok: false,
            code: 'invalid-transition',
            reason: `The EVSE is ${controller.evseState}: it cannot ${fault ? 'fail' : 'recover'} now.`,
          },
        };
  }
  return undefined;
}

export function chargePointExtension(options: ChargePointExtensionOptions = {}): RoleExtension {
  let stateMachine: SiteStateMachine | undefined;
  return {
    configSections: [siteConfigSection, ocppSecurityConfigSection],
    createStateMachine(config) {
      // Every replica builds the site from the same cluster-file section (siteConfigSection).
      stateMachine = createSiteStateMachine(
        options.site ?? configSection(config, siteConfigSection) ?? {},
      );
      return stateMachine;
    },
    async attach(running: RunningNode, logger: Logger) {
      const replica = stateMachine;
      if (replica === undefined)
        throw new Error('attach before createStateMachine: the runtime must call it first');
      const { config } = running;
      if (config.self.servicePort === undefined) {
        // A consensus-only cluster (no service ports, as in the Paxos labs): the node is an
        // acceptor and learner and nothing more; EVs cannot plug in.
        logger.info('ev-link-disabled', { reason: 'no servicePort for this charge point' });
        return { close: async () => undefined };
      }
      if (config.dataDir === undefined) throw new Error('A charge point needs a data dir.');
      const queue = TransactionQueue.open(path.join(config.dataDir, QUEUE_FILE_NAME), {
        ...(options.queueEntriesMax !== undefined ? { entriesMax: options.queueEntriesMax } : {}),
        unsafeNoFsync: config.unsafeNoFsync,
      });
      const { urls, csms } = openCsmsLink(options, config, logger, () => running.node.leaderId);
      const controller = new EvseController(
        {
          ...options.controller,
          chargePointId: config.id,
          ...(options.powerSampleIntervalMs !== undefined
            ? { powerSampleIntervalMs: options.powerSampleIntervalMs }
            : {}),
        },
        { logger, csms, queue, replica },
      );
      const unsubscribe = running.node.onApplied(() => controller.evaluate('applied'));
      // GET /evse: the EVSE, its EV and the power, for the central's dashboard.
      const removeRoutes = running.addHttpRoutes((request) =>
        Promise.resolve(evseRoute(controller, request.method, request.path)),
      );
      const stopLeaseAsks = startLeaseAsks(config.id, {
        node: running.node,
        replica,
        csms,
        logger,
      });
      let server: EvLinkServer;
      try {
        server = await EvLinkServer.listen(
          { host: config.listenHost, port: config.self.servicePort },
          { logger, onSession: (session) => controller.attachSession(session) },
        );
      } catch (error) {
        stopLeaseAsks();
        unsubscribe();
        removeRoutes();
        controller.close();
        await csms.close();
        queue.close();
        throw error;
      }
      logger.info('charge-point-started', {
        chargePointId: config.id,
        evLinkUrl: server.url,
        centralUrls: urls,
        siteLimitW: replica.state.siteLimitW,
        queuedTransactionEvents: queue.size,
      });
      return {
        close: async () => {
          stopLeaseAsks();
          unsubscribe();
          removeRoutes();
          await server.close();
          controller.close();
          await csms.close();
          queue.close();
        },
      };
    },
  };
}
