export {
  simulate,
  Simulation,
  defaultSimOptions,
  type SimOptions,
  type SimResult,
} from './simulator';
export {
  drawScenario,
  faultKinds,
  formatScenario,
  type FaultKind,
  type FaultRates,
  type SimScenario,
  type SwarmPins,
} from './swarm';
export { properties, type Property, type Violation } from './checkers';
export { RecordingStateMachine } from './recording-state-machine';
export { SimDisk } from './disk';
