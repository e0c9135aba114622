import type { PaxosOptions } from './config';
import { estimateCommandBytes } from './size';
import type { Command } from './types';

/**
 * The batching policy, beside the Paxos rules rather than inside them (docs/STYLE.md): how many of
 * the pending commands the next slot takes — up to batchCommandsMax, and up to valueBytesMax
 * estimated bytes (a lone larger command still goes, alone).
 */
export function batchLength(
  pending: readonly Command[],
  { batchCommandsMax, valueBytesMax }: Pick<PaxosOptions, 'batchCommandsMax' | 'valueBytesMax'>,
): number {
  let bytes = 0;
  let length = 0;
  for (const command of pending) {
    if (length >= batchCommandsMax) break;
    bytes += estimateCommandBytes(command);
    if (length > 0 && bytes > valueBytesMax) break;
    length += 1;
  }
  return length;
}
