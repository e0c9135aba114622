/**
 * bench:core — decided commands per second of the in-process core: 1 leader, 5 acceptors,
 * no faults, synchronous delivery, batching on and off. Not a test: numbers are printed.
 * Usage: npm run bench:core [-- --commands 200000]
 */
import { PaxosNode, createPrng, type Message, type NodeId, type StateMachine } from '../src';

class CountingMachine implements StateMachine<number, number> {
  count = 0;
  apply(): number {
    this.count += 1;
    return this.count;
  }
  snapshot(): number {
    return this.count;
  }
  restore(snapshot: number): void {
    this.count = snapshot;
  }
}

function run(
  commands: number,
  batchCommandsMax: number,
  windowSlotsMax: number,
): { perSecond: number; slots: number; messages: number } {
  const acceptors = ['a1', 'a2', 'a3', 'a4', 'a5'];
  const cluster = { proposers: ['p1'], acceptors };
  const options = {
    batchCommandsMax,
    windowSlotsMax,
    snapshotEverySlots: 100_000,
    pendingCommandsMax: commands + 1,
  };
  const nodes = new Map<NodeId, PaxosNode>();
  for (const id of ['p1', ...acceptors]) {
    nodes.set(
      id,
      new PaxosNode(
        { id, cluster, options },
        { stateMachine: new CountingMachine(), random: createPrng(1) },
      ),
    );
  }
  const queue: { from: NodeId; to: NodeId; message: Message }[] = [];
  let messages = 0;
  let slots = 0;
  let applied = 0;
  const flush = (id: NodeId) => {
    const ready = nodes.get(id)!.takeReady();
    for (const { to, message } of ready.messages) queue.push({ from: id, to, message });
    if (id === 'p1') {
      slots += ready.applied.length;
      for (const entry of ready.applied) applied += entry.commands.length;
    }
  };
  const drain = () => {
    for (let head = 0; head < queue.length; head += 1) {
      const { from, to, message } = queue[head]!;
      messages += 1;
      nodes.get(to)!.step(from, message);
      flush(to);
    }
    queue.length = 0;
  };
  const leader = nodes.get('p1')!;
  leader.campaign();
  flush('p1');
  drain();
  const started = process.hrtime.bigint();
  for (let seq = 1; seq <= commands; seq += 1) {
    leader.propose({ clientId: 'bench', seq, payload: seq });
    // Up to 256 commands arrive between deliveries, like a busy client connection.
    if (seq % 256 === 0) {
      flush('p1');
      drain();
    }
  }
  flush('p1');
  drain();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (applied !== commands) throw new Error(`applied ${applied} of ${commands}`);
  return { perSecond: commands / seconds, slots, messages };
}

const commandsArg = process.argv.indexOf('--commands');
const commands = commandsArg > 0 ? Number(process.argv[commandsArg + 1]) : 100_000;
const rows: string[][] = [];
for (const [name, batch, window] of [
  ['batching off (1 command per slot)', 1, 64],
  ['batching on (64 commands per slot)', 64, 64],
] as const) {
  const samples = [0, 1, 2, 3, 4].map(() => run(commands, batch, window));
  samples.sort((a, b) => a.perSecond - b.perSecond);
  const median = samples[2]!;
  rows.push([
    name,
    Math.round(median.perSecond).toLocaleString('en-US'),
    String(median.slots),
    (median.messages / commands).toFixed(2),
  ]);
}
console.log(
  `bench:core — ${commands} commands, 1 proposer, 5 acceptors, no faults, median of 5 runs`,
);
console.log(['mode', 'commands/s', 'slots', 'messages/command'].join(' | '));
for (const row of rows) console.log(row.join(' | '));
