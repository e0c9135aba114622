// The scenario files docs/SCENARIOS.md and the README tell users to run exist, are valid for the
// default cluster, and are the example the page shows.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScenarioText } from '../src';

const root = path.resolve(__dirname, '../../../..');
const cluster = {
  chargePointIds: ['cp1', 'cp2', 'cp3', 'cp4', 'cp5'],
  nodeIds: ['central-a', 'central-b', 'cp1', 'cp2', 'cp3', 'cp4', 'cp5'],
};

describe('scenario files named in the docs', () => {
  it('every --scenario docs/… file the docs run exists and is valid', () => {
    const named = new Set<string>();
    for (const page of [
      'README.md',
      'docs/SCENARIOS.md',
      ...fs.readdirSync(path.join(root, 'docs/labs')).map((f) => `docs/labs/${f}`),
    ]) {
      const text = fs.readFileSync(path.join(root, page), 'utf8');
      for (const match of text.matchAll(/--scenario (docs\/[\w./-]+)/g)) named.add(match[1]!);
    }
    expect([...named]).to.include('docs/lunch-rush.yaml');
    for (const file of named) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      expect(() => parseScenarioText(text, file, cluster), file).to.not.throw();
    }
  });

  it('docs/lunch-rush.yaml is the example docs/SCENARIOS.md shows', () => {
    const page = fs.readFileSync(path.join(root, 'docs/SCENARIOS.md'), 'utf8');
    const block = /## An example with faults and a reservation\n```yaml\n([\s\S]*?)```/.exec(page);
    expect(block, 'the example block').to.not.equal(null);
    const file = fs.readFileSync(path.join(root, 'docs/lunch-rush.yaml'), 'utf8');
    expect(parseScenarioText(file, 'lunch-rush.yaml', cluster)).to.deep.equal(
      parseScenarioText(block![1]!, 'example.yaml', cluster),
    );
  });
});
