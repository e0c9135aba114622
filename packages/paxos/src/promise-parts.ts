import type { Promise } from './messages';
import type { NodeId } from './types';

/**
 * Promises too large for one message come in parts (Acceptor.handlePrepare); a candidate counts an
 * acceptor's promise only once every part is in. Bounded: one partial promise per acceptor, and
 * cleared at every campaign and every role change.
 */
export class PromiseParts {
  private held = new Map<NodeId, (Promise | undefined)[]>();

  clear(): void {
    this.held = new Map();
  }

  /** The whole promise once every part of it is in (a one-part promise is whole at once). */
  assemble(from: NodeId, message: Promise, countFirstPart: boolean): Promise | undefined {
    const parts = message.parts ?? 1;
    if (parts === 1 || countFirstPart) return message;
    let held = this.held.get(from);
    if (held === undefined || held.length !== parts) {
      held = new Array<Promise | undefined>(parts).fill(undefined);
      this.held.set(from, held);
    }
    held[message.part ?? 0] = message;
    const complete: Promise[] = [];
    for (const part of held) {
      if (part === undefined) return undefined;
      complete.push(part);
    }
    this.held.delete(from);
    return {
      type: 'promise',
      ballot: message.ballot,
      accepted: complete.flatMap((part) => part.accepted),
      truncatedBelow: message.truncatedBelow,
    };
  }
}
