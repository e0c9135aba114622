import { expect } from 'chai';
import {
  ConfigurationHistory,
  applyReconfiguration,
  hasQuorum,
  phase1CoversWindow,
  reconfigurationCommand,
  reconfigurationOf,
  type Configuration,
} from '../src/membership';
import { ConfigError, resolveConfig } from '../src/config';

const three: Configuration = { acceptors: ['a1', 'a2', 'a3'], phase1Quorum: 2, phase2Quorum: 2 };

function configured(outcome: ReturnType<typeof applyReconfiguration>): Configuration {
  if (!outcome.ok) throw new Error(outcome.problems.join(' '));
  return outcome.configuration;
}

describe('membership change', () => {
  describe('a reconfiguration', () => {
    it('adds an acceptor, and the quorums become majorities of the new set', () => {
      expect(
        configured(applyReconfiguration(three, { kind: 'add', acceptor: 'a4' })),
      ).to.deep.equal({ acceptors: ['a1', 'a2', 'a3', 'a4'], phase1Quorum: 3, phase2Quorum: 3 });
    });

    it('removes an acceptor', () => {
      const two = configured(applyReconfiguration(three, { kind: 'remove', acceptor: 'a2' }));
      expect(two).to.deep.equal({ acceptors: ['a1', 'a3'], phase1Quorum: 2, phase2Quorum: 2 });
    });

    it('replaces a dead acceptor in place, keeping the order of the others', () => {
      const replaced = applyReconfiguration(three, { kind: 'replace', acceptor: 'a2', by: 'a9' });
      expect(configured(replaced).acceptors).to.deep.equal(['a1', 'a9', 'a3']);
    });

    it('takes explicit quorums when they intersect (Flexible Paxos q1 + q2 > n)', () => {
      const four = applyReconfiguration(three, {
        kind: 'add',
        acceptor: 'a4',
        phase1Quorum: 3,
        phase2Quorum: 2,
      });
      expect(configured(four)).to.include({ phase1Quorum: 3, phase2Quorum: 2 });
    });

    it('refuses quorums that do not intersect, saying why', () => {
      const outcome = applyReconfiguration(three, {
        kind: 'add',
        acceptor: 'a4',
        phase1Quorum: 3,
        phase2Quorum: 1,
      });
      expect(outcome.ok).to.equal(false);
      if (outcome.ok) return;
      expect(outcome.problems.join(' ')).to.include('must exceed the number of acceptors (4)');
    });

    it('refuses to add an acceptor twice, remove an absent or the last one, or replace by a member', () => {
      const one: Configuration = { acceptors: ['a1'], phase1Quorum: 1, phase2Quorum: 1 };
      const refusals = [
        applyReconfiguration(three, { kind: 'add', acceptor: 'a1' }),
        applyReconfiguration(three, { kind: 'remove', acceptor: 'a7' }),
        applyReconfiguration(one, { kind: 'remove', acceptor: 'a1' }),
        applyReconfiguration(three, { kind: 'replace', acceptor: 'a1', by: 'a2' }),
        applyReconfiguration(three, { kind: 'replace', acceptor: 'a8', by: 'a9' }),
        applyReconfiguration(three, { kind: 'add', acceptor: '' }),
      ];
      expect(
        refusals.map((outcome) => (outcome.ok ? 'accepted' : outcome.problems[0])),
      ).to.deep.equal([
        '"a1" is already an acceptor.',
        '"a7" is not an acceptor.',
        '"a1" is the last acceptor.',
        '"a2" is already an acceptor.',
        '"a8" is not an acceptor.',
        'An acceptor id is empty.',
      ]);
    });

    it('travels as an ordinary command and is recognized only by its tag and shape', () => {
      const command = reconfigurationCommand('operator', 7, {
        kind: 'replace',
        acceptor: 'a2',
        by: 'a9',
      });
      expect(command).to.include({ clientId: 'operator', seq: 7 });
      expect(reconfigurationOf(command)).to.deep.equal({
        kind: 'replace',
        acceptor: 'a2',
        by: 'a9',
      });
      const malformed = [
        { type: 'set-limit', watts: 5 },
        { type: 'paxos.reconfigure', change: { kind: 'replace', acceptor: 'a2' } },
        { type: 'paxos.reconfigure', change: { kind: 'grow', acceptor: 'a2' } },
        { type: 'paxos.reconfigure', change: { kind: 'add', acceptor: 'a2', phase1Quorum: '2' } },
        { type: 'paxos.reconfigure', change: null },
        null,
      ];
      for (const payload of malformed) {
        expect(reconfigurationOf({ clientId: 'c', seq: 1, payload })).to.equal(undefined);
      }
    });

    it('is checked by the same quorum rules as the static configuration', () => {
      const resolve = (): unknown =>
        resolveConfig({
          id: 'a1',
          cluster: {
            proposers: ['a1'],
            acceptors: ['a1', 'a2', 'a3', 'a4'],
            phase1Quorum: 3,
            phase2Quorum: 1,
          },
        });
      expect(resolve).to.throw(ConfigError, 'must exceed the number of acceptors (4)');
    });
  });

  describe('the configuration history', () => {
    it('puts a change decided in slot i into effect at slot i + α, not before', () => {
      const history = new ConfigurationHistory(8, three);
      const decided = history.decide(5, { kind: 'add', acceptor: 'a4' });
      expect(decided).to.deep.include({ ok: true, effectiveSlot: 13 });
      expect(history.configurationFor(12).acceptors).to.deep.equal(['a1', 'a2', 'a3']);
      expect(history.configurationFor(13).acceptors).to.deep.equal(['a1', 'a2', 'a3', 'a4']);
      expect(history.latest.acceptors).to.have.length(4);
    });

    it('composes changes in decision order, each on the latest configuration', () => {
      const history = new ConfigurationHistory(4, three);
      history.decide(1, { kind: 'add', acceptor: 'a4' });
      history.decide(2, { kind: 'remove', acceptor: 'a1' });
      expect(history.configurationFor(4).acceptors).to.deep.equal(['a1', 'a2', 'a3']);
      expect(history.configurationFor(5).acceptors).to.deep.equal(['a1', 'a2', 'a3', 'a4']);
      expect(history.configurationFor(6).acceptors).to.deep.equal(['a2', 'a3', 'a4']);
    });

    it('leaves a change that no longer fits decided but void, the same on every replica', () => {
      const history = new ConfigurationHistory(4, three);
      history.decide(1, { kind: 'remove', acceptor: 'a3' });
      const raced = history.decide(2, { kind: 'remove', acceptor: 'a3' });
      expect(raced.ok).to.equal(false);
      expect(history.configurationFor(100).acceptors).to.deep.equal(['a1', 'a2']);
    });

    it('lets a proposer go no further than the applied prefix + α', () => {
      const history = new ConfigurationHistory(8, three);
      expect(history.proposableThrough(0)).to.equal(7);
      expect(history.proposableThrough(20)).to.equal(27);
    });

    it('needs a phase-1 quorum of the old and the new set while both are in the window', () => {
      const history = new ConfigurationHistory(4, three);
      history.decide(2, { kind: 'replace', acceptor: 'a1', by: 'a4' });
      // Slots 3..6 are proposable: 3..5 under {a1,a2,a3}, 6 under {a4,a2,a3}.
      expect(history.acceptorsBetween(3, 6)).to.have.members(['a1', 'a2', 'a3', 'a4']);
      expect(phase1CoversWindow(history, 3, 6, ['a1', 'a2'])).to.equal(false);
      expect(phase1CoversWindow(history, 3, 6, ['a1', 'a2', 'a4'])).to.equal(true);
      expect(phase1CoversWindow(history, 3, 5, ['a1', 'a2'])).to.equal(true);
    });

    it('counts only the slot configuration’s own acceptors toward a quorum', () => {
      expect(hasQuorum(three, ['a1', 'x', 'y'], 2)).to.equal(false);
      expect(hasQuorum(three, ['a1', 'a3'], 2)).to.equal(true);
    });

    it('survives a snapshot: rebuilt from its steps it answers the same', () => {
      const history = new ConfigurationHistory(4, three);
      history.decide(1, { kind: 'add', acceptor: 'a4' });
      history.decide(9, { kind: 'remove', acceptor: 'a2' });
      history.compactBelow(10);
      const restored = new ConfigurationHistory(4, history.snapshotSteps);
      expect(restored.snapshotSteps.map((step) => step.fromSlot)).to.deep.equal([5, 13]);
      for (const slot of [10, 12, 13, 40]) {
        expect(restored.configurationFor(slot)).to.deep.equal(history.configurationFor(slot));
      }
    });

    it('composes several changes decided in one slot, in batch order, into one step', () => {
      const history = new ConfigurationHistory(4, three);
      history.decide(6, { kind: 'add', acceptor: 'a4' });
      history.decide(6, { kind: 'remove', acceptor: 'a1' });
      expect(history.snapshotSteps.map((step) => step.fromSlot)).to.deep.equal([0, 10]);
      expect(history.configurationFor(10).acceptors).to.deep.equal(['a2', 'a3', 'a4']);
    });

    it('leaves a change naming a node outside the cluster void: no replica could reach it', () => {
      const history = new ConfigurationHistory(4, three, ['a1', 'a2', 'a3', 's1']);
      const outcome = history.decide(2, { kind: 'replace', acceptor: 'a1', by: 'x9' });
      expect(outcome).to.deep.equal({
        ok: false,
        problems: ['"x9" is not a node of the cluster.'],
      });
      expect(history.decide(3, { kind: 'add', acceptor: 's1' }).ok).to.equal(true);
    });

    it('refuses a change decided out of slot order', () => {
      const history = new ConfigurationHistory(4, three);
      history.decide(9, { kind: 'add', acceptor: 'a4' });
      expect(() => history.decide(3, { kind: 'add', acceptor: 'a5' })).to.throw(RangeError);
    });
  });
});
