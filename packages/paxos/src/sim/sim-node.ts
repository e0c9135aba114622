import type { Message } from '../messages';
import type { PaxosNode } from '../node';
import type { Command, NodeId } from '../types';
import type { SimDisk } from './disk';
import type { RecordingStateMachine } from './recording-state-machine';

/** The simulator's bookkeeping per message, node and client command (simulator.ts). */
export interface InTransit {
  readonly deliverAtTick: number;
  readonly order: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
}

export interface SimNode {
  readonly id: NodeId;
  readonly disk: SimDisk;
  node: PaxosNode | undefined;
  stateMachine: RecordingStateMachine;
  restartAtTick: number;
  /** A paused node (a GC pause, SIGSTOP) keeps its memory but does nothing until this tick. */
  pausedUntilTick: number;
  /** Messages to this node arrive no earlier than this tick (a stalled inbound link). */
  stalledUntilTick: number;
}

export interface ClientCommand {
  readonly command: Command;
  readonly clientIndex: number;
  /** The client resubmits at this tick unless it saw the command applied. */
  retryAtTick: number;
}
