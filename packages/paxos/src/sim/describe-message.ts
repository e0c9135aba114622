import { ballotToString } from '../ballot';
import type { Message } from '../messages';
import { commandKey } from '../types';

/** One message as a trace shows it. */
export function describeMessage(message: Message): string {
  switch (message.type) {
    case 'pre-vote':
      return `pre-vote ${ballotToString(message.ballot)}`;
    case 'pre-vote-reply':
      return `pre-vote-reply ${ballotToString(message.ballot)} ${message.granted ? 'granted' : 'refused'}`;
    case 'prepare':
      return `prepare ${ballotToString(message.ballot)} from slot ${message.fromSlot}`;
    case 'promise':
      return `promise ${ballotToString(message.ballot)} (${message.accepted.length} accepted, truncated below ${message.truncatedBelow}${message.parts === undefined ? '' : `, part ${(message.part ?? 0) + 1} of ${message.parts}`})`;
    case 'accept':
      return `accept ${ballotToString(message.ballot)} slot ${message.slot} [${message.value.commands.map(commandKey).join(',') || 'noop'}]`;
    case 'accepted':
      return `accepted ${ballotToString(message.ballot)} slot ${message.slot}`;
    case 'nack':
      return message.decidedBelow === undefined
        ? `nack ${ballotToString(message.ballot)} (promised ${ballotToString(message.promised)})`
        : `nack ${ballotToString(message.ballot)} (behind: decided below ${message.decidedBelow})`;
    case 'decide':
      return `decide slots ${message.entries.map((e) => e.slot).join(',')}`;
    case 'heartbeat':
      return `heartbeat ${ballotToString(message.ballot)} decided below ${message.decidedBelow}`;
    case 'heartbeat-ack':
      return `heartbeat-ack ${ballotToString(message.ballot)}`;
    case 'catchup-request':
      return `catchup-request from slot ${message.fromSlot}`;
    case 'catchup-reply':
      return `catchup-reply ${message.snapshot ? `snapshot through ${message.snapshot.appliedThrough} + ` : ''}${message.entries.length} entries`;
  }
}
