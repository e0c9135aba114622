import { expect } from 'chai';
import { acceptorStanding } from '../src/acceptor-standing';
import { ConfigurationHistory, applyReconfiguration, type Configuration } from '../src/membership';
import { PaxosNode } from '../src/node';
import { createPrng } from '../src/prng';
import { reconfigurationCommand } from '../src/membership';
import { command, TestCluster } from './harness';
import type { Command, StateMachine } from '../src/types';

const three: Configuration = { acceptors: ['a1', 'a2', 'a3'], phase1Quorum: 2, phase2Quorum: 2 };
const alphaSlots = 4;

function history(): ConfigurationHistory {
  return new ConfigurationHistory(alphaSlots, three, ['p1', 'a1', 'a2', 'a3', 'a4']);
}

const base = { incarnation: 1, firstUnapplied: 0 };

describe('acceptor standing (joining and re-admission, docs/PAXOS.md)', () => {
  it('an acceptor with its state votes from slot 0', () => {
    expect(acceptorStanding({ ...base, id: 'a1', history: history() })).to.deep.equal({
      votes: true,
      fromSlot: 0,
    });
  });

  it('a new acceptor catches up before it votes: a spare, then joining (promises, accepts nothing) until it has applied every slot before the change slot + α', () => {
    const configurations = history();
    const standing = (firstUnapplied: number) =>
      acceptorStanding({ ...base, id: 'a4', history: configurations, firstUnapplied });
    expect(standing(5)).to.deep.equal({ votes: false, reason: 'spare', promises: true });
    const decided = configurations.decide(10, { kind: 'add', acceptor: 'a4' });
    expect(decided).to.include({ ok: true, effectiveSlot: 10 + alphaSlots });
    expect(configurations.configurationFor(13).acceptors).to.not.include('a4');
    expect(configurations.configurationFor(14).acceptors).to.include('a4');
    expect(standing(11)).to.deep.equal({ votes: false, reason: 'joining', promises: true });
    expect(standing(13)).to.deep.equal({ votes: false, reason: 'joining', promises: true });
    expect(standing(14)).to.deep.equal({ votes: true, fromSlot: 0 });
    // Removed: it votes while the slots it applies next still name it, then it is a spare again.
    configurations.decide(20, { kind: 'remove', acceptor: 'a4' });
    expect(standing(23).votes).to.equal(true);
    expect(standing(24)).to.deep.equal({ votes: false, reason: 'spare', promises: true });
  });

  it('a node that lost its state votes only as the incarnation an in-place replace names, from its slot (Paxos Made Live §5.1)', () => {
    const configurations = history();
    const lost = { ...base, id: 'a2', incarnation: 7 };
    expect(
      acceptorStanding({ ...lost, history: configurations, firstUnapplied: 30 }),
    ).to.deep.equal({ votes: false, reason: 'awaiting-readmission', promises: false });
    // A re-admission of another incarnation (an earlier loss) does not count.
    configurations.decide(20, { kind: 'replace', acceptor: 'a2', by: 'a2', incarnation: 5 });
    expect(
      acceptorStanding({ ...lost, history: configurations, firstUnapplied: 30 }).votes,
    ).to.equal(false);
    configurations.decide(30, { kind: 'replace', acceptor: 'a2', by: 'a2', incarnation: 7 });
    expect(
      acceptorStanding({ ...lost, history: configurations, firstUnapplied: 31 }),
    ).to.deep.equal({ votes: false, reason: 'catching-up', promises: false });
    expect(
      acceptorStanding({ ...lost, history: configurations, firstUnapplied: 34 }),
    ).to.deep.equal({ votes: true, fromSlot: 34 });
    // The set is the same: an in-place replace changes who may vote as a2, not who counts.
    expect(configurations.latest.acceptors).to.deep.equal(['a1', 'a2', 'a3']);
  });

  it('refuses an in-place replace without a new incarnation', () => {
    const outcome = applyReconfiguration(three, { kind: 'replace', acceptor: 'a2', by: 'a2' });
    expect(outcome.ok).to.equal(false);
    if (outcome.ok) return;
    expect(outcome.problems[0]).to.include('names the incarnation it runs as now');
  });

  it('keeps re-admissions in a snapshot after the steps are compacted', () => {
    const configurations = history();
    configurations.decide(3, { kind: 'replace', acceptor: 'a2', by: 'a2', incarnation: 9 });
    configurations.decide(40, { kind: 'add', acceptor: 'a4' });
    configurations.compactBelow(100);
    const restored = new ConfigurationHistory(
      alphaSlots,
      configurations.snapshotSteps,
      undefined,
      configurations.admissions,
    );
    expect(restored.admissionOf('a2')).to.deep.equal({
      acceptor: 'a2',
      incarnation: 9,
      fromSlot: 3 + alphaSlots,
    });
  });

  it('an acceptor awaiting re-admission answers no prepare or accept; once re-admitted it reports the slots before its own as truncated', () => {
    const applied: Command[] = [];
    const stateMachine: StateMachine = {
      apply: (command) => {
        applied.push(command);
        return null;
      },
      snapshot: () => null,
      restore: () => undefined,
    };
    const node = new PaxosNode(
      {
        id: 'a2',
        cluster: { proposers: ['p1'], acceptors: ['a1', 'a2', 'a3'] },
        options: { windowSlotsMax: 4, alphaSlots },
        incarnation: 7,
      },
      { stateMachine, random: createPrng(1) },
    );
    const ballot = { round: 3, proposerId: 'p1' };
    const value = { commands: [{ clientId: 'c', seq: 1, payload: 1 }] };
    node.step('p1', { type: 'prepare', ballot, fromSlot: 0 });
    node.step('p1', { type: 'accept', ballot, slot: 0, value });
    expect(node.takeReady().messages).to.deep.equal([]);
    expect(node.status().standing).to.equal('awaiting-readmission');
    // The log re-admits incarnation 7 at slot 0 (effective at slot 4); slots 1..3 are no-ops.
    const readmit = {
      clientId: 'operator',
      seq: 1,
      payload: {
        type: 'paxos.reconfigure',
        change: { kind: 'replace', acceptor: 'a2', by: 'a2', incarnation: 7 },
      },
    };
    const entries = [0, 1, 2, 3].map((slot) => ({
      slot,
      ballot,
      value: { commands: slot === 0 ? [readmit] : [] },
    }));
    node.step('p1', { type: 'decide', entries });
    node.tick();
    const events = node.takeReady().events.filter((event) => event.type === 'standing-changed');
    expect(events.at(-1)).to.deep.include({ standing: 'voting', fromSlot: 4 });
    node.step('p1', { type: 'prepare', ballot: { round: 4, proposerId: 'p1' }, fromSlot: 2 });
    node.step('p1', { type: 'accept', ballot: { round: 4, proposerId: 'p1' }, slot: 3, value });
    const replies = node.takeReady().messages.map(({ message }) => message);
    expect(replies).to.have.length(1);
    expect(replies[0]).to.deep.include({ type: 'promise', truncatedBelow: 4, accepted: [] });
    expect(applied).to.deep.equal([]);
  });

  it('a joining acceptor promises but accepts nothing and acknowledges no heartbeat until it has caught up', () => {
    const stateMachine: StateMachine = {
      apply: () => null,
      snapshot: () => null,
      restore: () => undefined,
    };
    const node = new PaxosNode(
      {
        id: 'a4',
        cluster: { proposers: ['p1'], acceptors: ['a1', 'a2', 'a3'], spares: ['a4'] },
        options: { windowSlotsMax: 4, alphaSlots },
      },
      { stateMachine, random: createPrng(1) },
    );
    const ballot = { round: 3, proposerId: 'p1' };
    const value = { commands: [{ clientId: 'c', seq: 1, payload: 1 }] };
    const add = {
      clientId: 'operator',
      seq: 1,
      payload: { type: 'paxos.reconfigure', change: { kind: 'add', acceptor: 'a4' } },
    };
    // The add is decided in slot 0 and holds from slot 4; a4 has applied slot 0 only.
    node.step('p1', { type: 'decide', entries: [{ slot: 0, ballot, value: { commands: [add] } }] });
    expect(node.status().standing).to.equal('joining');
    node.takeReady();
    const replies = () => node.takeReady().messages.map(({ message }) => message.type);
    node.step('p1', { type: 'prepare', ballot, fromSlot: 1 });
    expect(replies(), 'it promises: it kept every promise').to.deep.equal(['promise']);
    node.step('p1', { type: 'accept', ballot, slot: 4, value });
    node.step('p1', { type: 'heartbeat', ballot, decidedBelow: 1 });
    expect(replies(), 'no vote before it caught up').to.deep.equal([]);
    const noops = [1, 2, 3].map((slot) => ({ slot, ballot, value: { commands: [] } }));
    node.step('p1', { type: 'decide', entries: noops });
    expect(node.status().standing).to.equal('voting');
    node.takeReady();
    node.step('p1', { type: 'accept', ballot, slot: 4, value });
    expect(replies()).to.deep.equal(['accepted']);
  });

  it("liveness: a new leader whose window reaches the new set needs the joining node's promise; it gets it, decides the slots before, and the node then votes", () => {
    // a4 is added in slot 0 (in effect from slot 4: 4 acceptors, quorums of 3); then a3 dies and
    // the leader with it. The candidate p2 needs a phase-1 quorum of {a1, a2, a3, a4}: a1, a2 and
    // a4, which has applied slot 0 only. If a4 promised nothing until it had caught up, no leader
    // could decide slots 1-3 for it to catch up on (docs/PAXOS.md, "Catching up before voting").
    const cluster = new TestCluster(
      { proposers: ['p1', 'p2'], acceptors: ['a1', 'a2', 'a3'], spares: ['a4'] },
      { alphaSlots: 4, windowSlotsMax: 2, electionTimeoutTicks: 10, heartbeatTicks: 2 },
    );
    cluster.elect('p1');
    cluster
      .node('p1')
      .propose(reconfigurationCommand('operator', 1, { kind: 'add', acceptor: 'a4' }));
    cluster.flush('p1');
    cluster.deliverAll();
    expect(cluster.node('a4').status().standing).to.equal('joining');
    cluster.nodes.delete('a3');
    cluster.nodes.delete('p1');
    cluster.lapseLeases(['a1', 'a2', 'a4']);
    cluster.elect('p2');
    expect(cluster.node('p2').isLeader(), 'a4 promised while joining').to.equal(true);
    for (let seq = 1; seq <= 6; seq += 1) {
      cluster.node('p2').propose(command('c', seq));
      cluster.flush('p2');
      for (let round = 0; round < 20 && cluster.appliedKeys('a4').length < seq; round += 1) {
        cluster.deliverAll();
        cluster.tick();
      }
    }
    cluster.deliverAll();
    expect(cluster.node('a4').status().standing).to.equal('voting');
    expect(cluster.appliedKeys('p2')).to.have.length(6);
    expect(cluster.appliedKeys('a4')).to.deep.equal(cluster.appliedKeys('p2'));
    // Slots from 4 on were decided by quorums of three of a1, a2 and a4: a4 accepted them.
    expect(cluster.node('a4').status().acceptedSlots).to.be.greaterThan(0);
  });
});
