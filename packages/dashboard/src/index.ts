// The public API of @evpaxos/dashboard: the live page a central serves, and `evpaxos report`.
import type { Logger, ProcessConfig, RoleExtension, RunningNode } from '@evpaxos/runtime';

export { DashboardServer, dashboardExtension, staticDir, type DashboardOptions } from './server';
export { Collector, type DashboardView, type NodeView, type SlotView } from './collector';
export { DASHBOARD_LIMITS, DASHBOARD_PATH, DASHBOARD_WS_PATH } from './constants';
export { readRun, type RunData } from './report/read-run';
export { renderReport } from './report/render-report';

/**
 * One extension from several: the first that creates a state machine provides it, the first that
 * creates a command validator provides that, and every `attach` runs in order (closed in
 * reverse). For the central:
 * `composeExtensions(centralExtension({ site }), dashboardExtension())`.
 */
export function composeExtensions(...extensions: RoleExtension[]): RoleExtension {
  const withMachine = extensions.find((extension) => extension.createStateMachine);
  const createStateMachine = withMachine?.createStateMachine?.bind(withMachine);
  const withValidator = extensions.find((extension) => extension.createCommandValidator);
  const createCommandValidator = withValidator?.createCommandValidator?.bind(withValidator);
  return {
    ...(createStateMachine
      ? { createStateMachine: (config: ProcessConfig) => createStateMachine(config) }
      : {}),
    ...(createCommandValidator
      ? { createCommandValidator: (config: ProcessConfig) => createCommandValidator(config) }
      : {}),
    async attach(running: RunningNode, logger: Logger) {
      const services: { close(): Promise<void> }[] = [];
      const close = async () => {
        for (const service of services.reverse()) await service.close();
      };
      try {
        for (const extension of extensions) {
          if (extension.attach) services.push(await extension.attach(running, logger));
        }
      } catch (error) {
        await close();
        throw error;
      }
      return { close };
    },
  };
}
