// The public API of @evpaxos/dashboard: the live page a central serves, and `evpaxos report`.
import type {
  ConfigSection,
  Logger,
  ProcessConfig,
  RoleExtension,
  RunningNode,
} from '@evpaxos/runtime';

export { dashboardExtension } from './server';
export { readRun } from './report/read-run';
export { renderReport } from './report/render-report';

/**
 * One extension from several: the first that creates a state machine provides it, every
 * `attach` runs in order (closed in reverse), and the config sections are all declared (one
 * reader per key: two different readers of one key are a programming error). For the central:
 * `composeExtensions(centralExtension({ site }), dashboardExtension())`.
 */
export function composeExtensions(...extensions: RoleExtension[]): RoleExtension {
  const withMachine = extensions.find((extension) => extension.createStateMachine);
  const createStateMachine = withMachine?.createStateMachine?.bind(withMachine);
  const configSections = new Map<string, ConfigSection<unknown>>();
  for (const section of extensions.flatMap((extension) => extension.configSections ?? [])) {
    const known = configSections.get(section.key);
    if (known !== undefined && known.read !== section.read) {
      throw new Error(`Two extensions read the cluster file's "${section.key}" differently.`);
    }
    configSections.set(section.key, section);
  }
  return {
    configSections: [...configSections.values()],
    ...(createStateMachine
      ? { createStateMachine: (config: ProcessConfig) => createStateMachine(config) }
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
