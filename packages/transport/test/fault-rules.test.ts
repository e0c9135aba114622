import { expect } from 'chai';
import { TransportError, parseFaultRules } from '../src';

describe('parseFaultRules', () => {
  it('returns valid rules, frozen, with only the fields given', () => {
    const rules = parseFaultRules([
      { peer: 'b', direction: 'out', action: 'drop' },
      { peer: '*', direction: 'both', action: 'delay', delayMs: 30, probability: 0.5 },
    ]);
    expect(rules).to.deep.equal([
      { peer: 'b', direction: 'out', action: 'drop' },
      { peer: '*', direction: 'both', action: 'delay', delayMs: 30, probability: 0.5 },
    ]);
    expect(Object.isFrozen(rules)).to.equal(true);
    expect(Object.isFrozen(rules[0])).to.equal(true);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not a list', { peer: 'b' }, /must be a list/],
    ['a rule that is not an object', [42], /Fault rule 0: must be an object/],
    ['null', [null], /Fault rule 0: must be an object/],
    [
      'a misspelt field',
      [{ peer: 'b', direction: 'out', action: 'drop', probabilty: 0.1 }],
      /unknown field probabilty/,
    ],
    ['an empty peer', [{ peer: '', direction: 'out', action: 'drop' }], /peer must be/],
    ['a bad direction', [{ peer: 'b', direction: 'up', action: 'drop' }], /direction must be/],
    ['a bad action', [{ peer: 'b', direction: 'in', action: 'melt' }], /action must be/],
    [
      'a probability over 1',
      [{ peer: 'b', direction: 'in', action: 'drop', probability: 2 }],
      /probability must be in \[0, 1\]/,
    ],
    [
      'a delay as a string',
      [{ peer: 'b', direction: 'in', action: 'delay', delayMs: '5' }],
      /delayMs must be an integer/,
    ],
    ['a delay without delayMs', [{ peer: 'b', direction: 'in', action: 'delay' }], /needs delayMs/],
    [
      'too many rules',
      Array.from({ length: 65 }, () => ({ peer: 'b', direction: 'in', action: 'drop' })),
      /At most 64 fault rules/,
    ],
  ];
  for (const [what, value, message] of bad) {
    it(`refuses ${what} with invalid-fault-rule`, () => {
      expect(() => parseFaultRules(value))
        .to.throw(TransportError, message)
        .with.property('code', 'invalid-fault-rule');
    });
  }
});
