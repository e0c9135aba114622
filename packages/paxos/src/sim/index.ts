export {
  simulate,
  Simulation,
  defaultSimOptions,
  faultKinds,
  type FaultKind,
  type SimOptions,
  type SimResult,
} from './simulator';
export type { Property, Violation } from './checkers';
export { RecordingStateMachine } from './recording-state-machine';
export { SimDisk } from './disk';
