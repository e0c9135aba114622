/**
 * Every `evpaxos` command, in `--help` order. A node process loads only its own command, not this
 * list (index.ts says why).
 */
import type { CommandModule } from 'yargs';
import { simCommand } from './sim';
import { demoCommand } from './demo';
import { clusterCommand } from './cluster';
import { healCommand, partitionCommand } from './faults';
import { killCommand, pauseCommand, restartCommand, resumeCommand } from './node-control';
import { statusCommand } from './status';
import { submitCommand } from './submit';
import { centralCommand } from './central';
import { chargePointCommand } from './charge-point';
import { evEmulatorCommand } from './ev-emulator';
import { verifyCommand } from './verify';
import { reportCommand } from './report';
import { nemesisCommand } from './nemesis';
import { reserveCommand } from './reserve';
import { traceCommand } from './trace';
import { ocppCertsCommand } from './ocpp-certs';
import { ocppCommand } from './ocpp';
import { memberCommand } from './member';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command's own argument type
export const allCommands: readonly CommandModule<object, any>[] = [
  simCommand,
  demoCommand,
  clusterCommand,
  statusCommand,
  killCommand,
  restartCommand,
  pauseCommand,
  resumeCommand,
  partitionCommand,
  healCommand,
  submitCommand,
  centralCommand,
  chargePointCommand,
  evEmulatorCommand,
  verifyCommand,
  reportCommand,
  nemesisCommand,
  reserveCommand,
  traceCommand,
  ocppCertsCommand,
  ocppCommand,
  memberCommand,
];
