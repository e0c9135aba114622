import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ScenarioError,
  defaultScenario,
  defaultScenarioFor,
  parseScenarioText,
  validateScenario,
  type Scenario,
} from '../src';

const cluster = {
  chargePointIds: ['cp1', 'cp2', 'cp3', 'cp4', 'cp5'],
  nodeIds: ['central-a', 'central-b', 'cp1', 'cp2', 'cp3', 'cp4', 'cp5'],
};

const needs = { energyWh: 20_000, minPowerW: 1_400, maxPowerW: 11_000, departureAtMinute: 60 };

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(ScenarioError);
    return (error as ScenarioError).problems;
  }
  expect.fail('the scenario was accepted');
}

const yamlScenario = `
name: lunch-rush
durationMinutes: 12
evs:
  - id: EV1
    chargePointId: cp1
    arriveAtMinute: 1
    stopAtMinute: 8
    needs: { energyWh: 30000, minPowerW: 1400, maxPowerW: 11000, departureAtMinute: 60 }
steps:
  - { atMinute: 5, action: heal }
  - { atMinute: 3, action: kill, node: central-a }
  - atMinute: 4
    action: partition
    sides: [[central-a, cp1, cp2], [central-b, cp3, cp4, cp5]]
  - { atMinute: 2, action: reserve, chargePointId: cp4, idToken: TOKEN1, expiresAtMinute: 6, ref: r1 }
  - { atMinute: 2.5, action: cancel-reservation, ref: r1 }
`;

describe('scenario', () => {
  describe('defaultScenarioFor (docs/SCENARIOS.md, "The default scenario for any size")', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, index) => `cp${index + 1}`);

    it("is the seed's timeline up to 5 charge points, its EVs on the ones that exist", () => {
      expect(defaultScenarioFor(ids(5))).to.equal(defaultScenario);
      expect(defaultScenarioFor(ids(2)).evs.map((ev) => ev.chargePointId)).to.deep.equal([
        'cp1',
        'cp2',
      ]);
    });

    for (const size of [9, 15, 31]) {
      it(`puts one EV on each of ${size} charge points, valid on that cluster`, () => {
        const chargePointIds = ids(size);
        const scenario = validateScenario(
          JSON.parse(JSON.stringify(defaultScenarioFor(chargePointIds))),
          { chargePointIds, nodeIds: ['central-a', 'central-b', ...chargePointIds] },
        );
        expect(scenario.evs.map((ev) => ev.chargePointId)).to.deep.equal(chargePointIds);
        expect(scenario.evs.slice(0, 3)).to.deep.equal(defaultScenario.evs);
        for (const ev of scenario.evs) {
          expect(ev.arriveAtMinute).to.be.within(1, 5);
          expect(ev.stopAtMinute).to.be.oneOf([8, 9]);
        }
      });
    }
  });

  describe('fault and recover steps', () => {
    it('take a charge point of the cluster and an optional connector', () => {
      const scenario = validateScenario(
        {
          steps: [
            { atMinute: 1, action: 'fault', chargePointId: 'cp3' },
            { atMinute: 2, action: 'recover', chargePointId: 'cp3', connectorId: 1 },
          ],
        },
        cluster,
      );
      expect(scenario.steps).to.deep.equal([
        { atMinute: 1, action: 'fault', chargePointId: 'cp3' },
        { atMinute: 2, action: 'recover', chargePointId: 'cp3', connectorId: 1 },
      ]);
    });

    it('refuse an unknown charge point and an unknown key', () => {
      expect(
        problemsOf(() =>
          validateScenario(
            { steps: [{ atMinute: 1, action: 'fault', chargePointId: 'cp9', node: 'cp1' }] },
            cluster,
          ),
        ),
      ).to.deep.equal([
        'steps[0].node is not a known field (known: atMinute, action, chargePointId, connectorId).',
        'steps[0].chargePointId "cp9" is not a charge point of the cluster (cp1, cp2, cp3, cp4, cp5).',
      ]);
    });

    it("the repository's every-state scenario is valid on the default cluster", () => {
      const text = fs.readFileSync(
        path.resolve(__dirname, '../../../../docs/scenarios/every-state.yaml'),
        'utf8',
      );
      const scenario = parseScenarioText(text, 'every-state.yaml', cluster);
      expect(scenario.steps.map((step) => step.action)).to.deep.equal([
        'fault',
        'partition',
        'recover',
        'heal',
      ]);
    });
  });

  describe('validateScenario', () => {
    it("accepts the default scenario (the seed's timeline) on a 5-charge-point cluster", () => {
      const scenario = validateScenario(JSON.parse(JSON.stringify(defaultScenario)), cluster);
      expect(
        scenario.evs.map((ev) => [ev.id, ev.chargePointId, ev.arriveAtMinute, ev.stopAtMinute]),
      ).to.deep.equal([
        ['EV1', 'cp1', 1, 8],
        ['EV2', 'cp2', 2, 9],
        ['EV3', 'cp3', 4, 9],
      ]);
      expect(scenario.durationMinutes).to.equal(10);
    });

    it('defaults durationMinutes to 10 and the lists to empty', () => {
      const scenario = validateScenario({ name: 'empty' });
      expect(scenario).to.deep.equal({ name: 'empty', durationMinutes: 10, evs: [], steps: [] });
    });

    it('names the field of every problem, all at once', () => {
      const problems = problemsOf(() =>
        validateScenario(
          {
            durationMinutes: 10,
            evs: [
              { id: 'EV1', chargePointId: 'cp9', arriveAtMinute: 1, needs },
              {
                id: 'EV2',
                chargePointId: 'cp2',
                arriveAtMinute: -1,
                needs: { ...needs, maxPowerW: 'fast' },
              },
            ],
            steps: [{ atMinute: 1, action: 'explode' }],
          },
          cluster,
        ),
      );
      expect(problems.join('\n')).to.include('evs[0].chargePointId "cp9" is not a charge point');
      expect(problems.join('\n')).to.include('evs[1].arriveAtMinute must be a number');
      expect(problems.join('\n')).to.include('evs[1].needs.maxPowerW must be an integer');
      expect(problems.join('\n')).to.include('steps[0].action must be one of');
    });

    it('refuses needs with minPowerW above maxPowerW, and a departure before the arrival', () => {
      const problems = problemsOf(() =>
        validateScenario({
          evs: [
            {
              id: 'EV1',
              chargePointId: 'cp1',
              arriveAtMinute: 5,
              needs: { ...needs, minPowerW: 12_000, departureAtMinute: 4 },
            },
          ],
        }),
      );
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^evs\[0\]\.needs\.minPowerW \(12000\) must not be above/);
      expect(problems[1]).to.match(/^evs\[0\]\.needs\.departureAtMinute \(4\) must be after/);
    });

    it('refuses two EVs plugged into one charge point at the same time', () => {
      const problems = problemsOf(() =>
        validateScenario({
          evs: [
            { id: 'EV1', chargePointId: 'cp1', arriveAtMinute: 1, stopAtMinute: 5, needs },
            { id: 'EV2', chargePointId: 'cp1', arriveAtMinute: 4, needs },
          ],
        }),
      );
      expect(problems).to.deep.equal([
        'evs: EV2 and EV1 are plugged into cp1 at the same time (one connector).',
      ]);
    });

    it('accepts a second EV on a charge point once the first has left', () => {
      const scenario = validateScenario({
        evs: [
          { id: 'EV1', chargePointId: 'cp1', arriveAtMinute: 1, stopAtMinute: 5, needs },
          { id: 'EV2', chargePointId: 'cp1', arriveAtMinute: 5, needs },
        ],
      });
      expect(scenario.evs).to.have.length(2);
    });

    it('refuses unknown fields, unknown nodes and a cancel with no earlier reserve', () => {
      const problems = problemsOf(() =>
        validateScenario(
          {
            colour: 'red',
            steps: [
              { atMinute: 1, action: 'kill', node: 'cp7' },
              { atMinute: 2, action: 'cancel-reservation', ref: 'nope' },
              { atMinute: 3, action: 'partition', sides: [['cp1']] },
            ],
          },
          cluster,
        ),
      );
      expect(problems.join('\n')).to.include('colour is not a known field');
      expect(problems.join('\n')).to.include('steps[0].node "cp7" is not a node of the cluster');
      expect(problems.join('\n')).to.include('steps[1].ref "nope" names no earlier reserve step');
      expect(problems.join('\n')).to.include('steps[2].sides must be a list of at least two');
    });

    it('refuses a step after the end of the scenario', () => {
      const problems = problemsOf(() =>
        validateScenario({ durationMinutes: 5, steps: [{ atMinute: 6, action: 'heal' }] }),
      );
      expect(problems).to.deep.equal([
        'steps[0].atMinute (6) is after the end of the scenario (durationMinutes 5).',
      ]);
    });
  });

  describe('parseScenarioText', () => {
    it('reads YAML and orders the steps by time (ties keep file order)', () => {
      const scenario: Scenario = parseScenarioText(yamlScenario, 'lunch.yaml', cluster);
      expect(scenario.name).to.equal('lunch-rush');
      expect(scenario.steps.map((step) => `${step.atMinute} ${step.action}`)).to.deep.equal([
        '2 reserve',
        '2.5 cancel-reservation',
        '3 kill',
        '4 partition',
        '5 heal',
      ]);
    });

    it('reads JSON', () => {
      const scenario = parseScenarioText(
        JSON.stringify({
          name: 'j',
          evs: [{ id: 'EV1', chargePointId: 'cp2', arriveAtMinute: 0.5, needs }],
        }),
        'j.json',
        cluster,
      );
      expect(scenario.evs[0]?.arriveAtMinute).to.equal(0.5);
    });

    it('names the file and the field in a YAML scenario', () => {
      const text = yamlScenario.replace('maxPowerW: 11000', 'maxPowerW: 900000');
      expect(() => parseScenarioText(text, 'lunch.yml', cluster)).to.throw(
        ScenarioError,
        /The scenario file lunch\.yml is invalid:\n {2}evs\[0\]\.needs\.maxPowerW must be an integer from 1 to 400000 \(got 900000\)/,
      );
    });

    it('refuses text that is not JSON, and YAML that does not parse', () => {
      expect(() => parseScenarioText('{ "name": ', 'bad.json')).to.throw(
        ScenarioError,
        /bad\.json is invalid:\n {2}it is not valid JSON/,
      );
      expect(() => parseScenarioText('evs: [a, b', 'bad.yaml')).to.throw(
        ScenarioError,
        /bad\.yaml is invalid:\n {2}it is not valid YAML/,
      );
    });

    it('refuses a YAML document that is not a mapping', () => {
      expect(() => parseScenarioText('- 1\n- 2\n', 'list.yaml')).to.throw(
        ScenarioError,
        /the scenario must be an object/,
      );
    });
  });
});
