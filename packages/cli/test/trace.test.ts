// Paxos on the wire, from the real processes (docs/CLUSTER.md, "Message trace"): a cluster started
// with --trace records every Prepare, Promise, Accept, Accepted and Decide; for a decided slot the
// leader's own record shows the phases in order (Paxos Made Simple §2.2: 1a, 1b from a quorum, 2a,
// 2b from a quorum, then the commit). `evpaxos trace` attaches to a cluster that was started
// without it, prints the phases of a command submitted meanwhile, and turns tracing off again.
import { expect } from 'chai';
import { ballotToString } from '@evpaxos/paxos';
import { httpJson, type TraceView } from '@evpaxos/runtime';
import { TraceReader, type ClusterHandle, type TracedMessage } from '../src/launcher';
import { runCli, useClusters, waitFor } from './cluster-harness';

const cli = runCli;

async function traceOf(cluster: ClusterHandle, id: string, after = 0): Promise<TraceView> {
  const answer = await httpJson(`${cluster.url(id)}/trace?after=${after}`, 'GET', undefined, 2_000);
  expect(answer.status).to.equal(200);
  return answer.body as TraceView;
}

/** The position in `events` of the first event matching `match`, or a failure naming `what`. */
function positionOf(
  events: readonly TracedMessage[],
  what: string,
  match: (event: TracedMessage) => boolean,
  from = 0,
): number {
  const index = events.findIndex((event, position) => position >= from && match(event));
  expect(index, `${what} in the leader's trace`).to.be.at.least(0);
  return index;
}

/**
 * Where the leader had received `quorum` replies matching `match` from distinct nodes, after
 * position `after` in its trace; and who they came from.
 */
function quorumAfter(
  events: readonly TracedMessage[],
  after: number,
  quorum: number,
  what: string,
  match: (event: TracedMessage) => boolean,
): { position: number; from: string[] } {
  const from: string[] = [];
  let position = after;
  while (from.length < quorum) {
    position = positionOf(
      events,
      `${what} ${from.length + 1} received`,
      (e) => e.dir === 'recv' && match(e) && !from.includes(e.from),
      position + 1,
    );
    from.push((events[position] as TracedMessage).from);
  }
  return { position, from };
}

describe('message trace (real cluster)', function () {
  this.timeout(180_000);
  const clusters = useClusters();

  it('records Prepare, Promise from a quorum, Accept, Accepted from a quorum and Decide in order for a decided slot', async () => {
    const cluster = await clusters.up('trace', { centrals: 2, chargePoints: 3, trace: true });
    const submitted = await cluster.submit({ type: 'Noop' });
    const leader = submitted.nodeId;
    const ballot = ballotToString(submitted.ballot);
    const quorum = 2; // a majority of the 3 acceptors
    const reader = await TraceReader.attach(cluster, { history: true });
    // The leader's record, in its own order (seq): one process's order needs no shared clock.
    const events = await waitFor('the leader traced the decide of the slot', 30_000, async () => {
      const all = (await reader.read()).filter((event) => event.node === leader);
      return all.some((e) => e.type === 'decide' && e.slots?.includes(submitted.slot))
        ? all.sort((a, b) => a.seq - b.seq)
        : undefined;
    });
    await reader.stop();
    const same = (event: TracedMessage) =>
      event.ballot !== null && ballotToString(event.ballot) === ballot;
    const prepare = positionOf(
      events,
      'Prepare sent',
      (e) => e.dir === 'send' && e.type === 'prepare' && same(e),
    );
    const promised = quorumAfter(
      events,
      prepare,
      quorum,
      'Promise',
      (e) => e.type === 'promise' && same(e),
    );
    const inSlot = (e: TracedMessage) => e.slot === submitted.slot && same(e);
    const accept = positionOf(
      events,
      'Accept sent',
      (e) => e.dir === 'send' && e.type === 'accept' && inSlot(e),
    );
    expect(accept, 'Phase 2 after a quorum of promises').to.be.above(promised.position);
    const accepted = quorumAfter(
      events,
      accept,
      quorum,
      'Accepted',
      (e) => e.type === 'accepted' && inSlot(e),
    );
    const decide = positionOf(
      events,
      'Decide sent',
      (e) => e.dir === 'send' && e.type === 'decide' && (e.slots ?? []).includes(submitted.slot),
    );
    expect(decide, 'Decide after a quorum of Accepted').to.be.above(accepted.position);
    // The acceptors' own records agree. An acceptor may accept without having promised this
    // ballot (its Prepare was lost or late: Paxos Made Simple §2.2 lets it accept any ballot not
    // below its promise), but the phase-1 and phase-2 quorums intersect: one acceptor is in both,
    // and it promised before it accepted the slot.
    const acceptor = accepted.from.find((id) => promised.from.includes(id)) ?? 'none';
    expect(acceptor, 'an acceptor in both quorums').to.not.equal('none');
    const own = (await traceOf(cluster, acceptor)).events;
    const sentPromise = own.findIndex(
      (e) =>
        e.dir === 'send' &&
        e.type === 'promise' &&
        e.ballot !== null &&
        ballotToString(e.ballot) === ballot,
    );
    const sentAccepted = own.findIndex(
      (e) => e.dir === 'send' && e.type === 'accepted' && e.slot === submitted.slot,
    );
    expect(sentPromise, `${acceptor} sent its Promise`).to.be.at.least(0);
    expect(sentAccepted, `${acceptor} sent Accepted after its Promise`).to.be.above(sentPromise);
  });

  it('evpaxos trace attaches to an untraced cluster, prints the phases of a command, and turns tracing off again', async () => {
    const cluster = await clusters.up('trace-attach', { centrals: 1, chargePoints: 3 });
    // Off by default: a node records nothing (the off path does no per-message work).
    await cluster.submit({ type: 'Noop' });
    const before = await traceOf(cluster, 'cp1');
    expect(before.on).to.equal(false);
    expect(before.events).to.deep.equal([]);

    const printing = cli(cluster, ['trace', '--for-ms', '6000']);
    await waitFor('evpaxos trace turned tracing on', 10_000, async () =>
      (await traceOf(cluster, 'cp1')).on ? true : undefined,
    );
    const submitted = await cluster.submit({ type: 'Noop' });
    const { code, stdout, stderr } = await printing;
    expect(code, stderr).to.equal(0);
    const slot = submitted.slot;
    const accept = new RegExp(`central-a → cp\\d +accept +ballot \\S+ +slot ${slot}$`, 'm');
    const accepted = new RegExp(`cp\\d → central-a +accepted +ballot \\S+ +slot ${slot}$`, 'm');
    const decide = new RegExp(
      `central-a → cp\\d +decide +ballot \\S+ +slots (\\d+,)*${slot}\\b`,
      'm',
    );
    for (const line of [accept, accepted, decide]) expect(stdout).to.match(line);
    expect(stdout.search(accept)).to.be.below(stdout.search(accepted));
    expect(stdout.search(accepted)).to.be.below(stdout.search(decide));
    expect(stdout, 'arrivals only with --received').to.not.contain('⇠');
    for (const id of ['central-a', 'cp1', 'cp2', 'cp3']) {
      expect((await traceOf(cluster, id)).on, `${id} traced after evpaxos trace ended`).to.equal(
        false,
      );
    }
  });

  it('refuses a bad PUT /trace body and an unknown node with a reason', async () => {
    const cluster = await clusters.up('trace-bad', { centrals: 1, chargePoints: 3 });
    const bad = await httpJson(
      `${cluster.url('cp1')}/trace`,
      'PUT',
      { on: 'yes' },
      2_000,
      cluster.apiToken,
    );
    expect(bad.status).to.equal(400);
    expect((bad.body as { reason: string }).reason).to.contain('"on"');
    const unauthenticated = await httpJson(
      `${cluster.url('cp1')}/trace`,
      'PUT',
      { on: true },
      2_000,
    );
    expect(unauthenticated.status).to.be.oneOf([401, 403]);
    expect((await traceOf(cluster, 'cp1')).on).to.equal(false);
    // Two refused CLI runs that change nothing: their Node starts run together.
    const [unknown, heartbeat] = await Promise.all([
      cli(cluster, ['trace', '--nodes', 'cp9', '--for-ms', '0']),
      cli(cluster, ['trace', '--type', 'heartbeat', '--for-ms', '0']),
    ]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('No node cp9');
    expect(heartbeat.code).to.equal(2);
    expect(heartbeat.stderr).to.contain('--type heartbeat is not a traced message type');
  });
});
