import { expect } from 'chai';
import * as path from 'node:path';
import {
  checkCitations,
  checkRepository,
  findCitations,
  findLinks,
  formatProblems,
  type Citation,
} from './docs-citations';

const root = path.resolve(__dirname, '../../../..');

// Fixture documents and citations are built from pieces, so that the repository scan below does
// not read them as citations of this file.
const md = (name: string) => `${name}.${'md'}`;
const cite = (name: string) => `docs/${md(name)}`;

const fixtureDocs: Record<string, string> = {
  [cite('REF')]: [
    '# Reference',
    '### §1.4 Reconnect',
    'text',
    '### §1.8 Can we use it?',
    '**(a) As our layer.**',
    '1. Typed options.',
    '2. A durable queue.',
    '**(b) As a test client.**',
    '3. Not in (a).',
    '### 5.2 Smart charging',
    '### 5.3 Reservations',
    '### 5.4 Transactions',
    '## Numbered lists',
    '## Rules worth absorbing',
    '1. **Pure cores.**',
    '2. **Ticks inside.**',
    '## Properties checked everywhere',
    '1. Agreement.',
    '6. Site limit: the power drawn never exceeds the limit.',
  ].join('\n'),
};

function problemsOf(source: string): string[] {
  const citations = findCitations(source, 'fixture.ts', (written) => written);
  return checkCitations(citations, (doc) => fixtureDocs[doc]).map((p) => p.problem);
}

describe('docs citations', () => {
  describe('findCitations', () => {
    it('reads sections, ranges, parts and items after a cited document', () => {
      const [citation] = findCitations(
        `// see ${cite('REF')} §1.4, §5.2–5.4 and more; ${cite('REF')} §1.8 (a)2`,
        'f.ts',
        (w) => w,
      );
      expect(citation?.sections).to.deep.equal([
        { number: '1.4' },
        { number: '5.2' },
        { number: '5.3' },
        { number: '5.4' },
      ]);
      const second = findCitations(`x ${cite('REF')} §1.8 (a)2`, 'f.ts', (w) => w)[0];
      expect(second?.sections).to.deep.equal([{ number: '1.8', part: 'a', item: 2 }]);
    });

    it('reads rule and property numbers, and a quoted heading or phrase', () => {
      const citations = findCitations(
        [
          `/** (${cite('STYLE')} rule 3) */`,
          `// ${cite('DESIGN')} properties 5 and 6`,
          `// (${cite('CLUSTER')}, "HTTP API")`,
          `// ${cite('SITE')}: "Heartbeat every 5 s".`,
          `// ${cite('SITE')} ("Ports")`,
        ].join('\n'),
        'f.ts',
        (w) => w,
      );
      expect(citations.map((c) => [c.written, c.line])).to.deep.equal([
        [cite('STYLE'), 1],
        [cite('DESIGN'), 2],
        [cite('CLUSTER'), 3],
        [cite('SITE'), 4],
        [cite('SITE'), 5],
      ]);
      expect(citations[0]?.rules).to.deep.equal([3]);
      expect(citations[1]?.properties).to.deep.equal([5, 6]);
      expect(citations.slice(2).map((c) => c.quotes)).to.deep.equal([
        ['HTTP API'],
        ['Heartbeat every 5 s'],
        ['Ports'],
      ]);
    });

    it('ignores documents inside URLs (someone else’s files)', () => {
      const text = `// https://example.org/x/${md('features')} and ${cite('SITE')}`;
      expect(findCitations(text, 'f.ts', (w) => w).map((c) => c.written)).to.deep.equal([
        cite('SITE'),
      ]);
    });

    it('reads markdown links relative to the linking document', () => {
      const links = findLinks(
        `see [x](${md('SITE')}) and [y](labs/${md('README')}#boot)`,
        `docs/${md('A')}`,
      );
      expect(links.map((l) => l.doc)).to.deep.equal([
        `docs/${md('SITE')}`,
        `docs/labs/${md('README')}`,
      ]);
    });
  });

  describe('checkCitations', () => {
    it('passes citations of what the document holds', () => {
      expect(
        problemsOf(
          [
            `// ${cite('REF')} §1.4, §1.8 (a)2; ${cite('REF')} §5.2–§5.4`,
            `// ${cite('REF')} rule 2`,
            `// ${cite('REF')} property 6: "the power drawn never exceeds the limit"`,
            `// ${cite('REF')}, "Rules worth"`,
          ].join('\n'),
        ),
      ).to.deep.equal([]);
    });

    it('reports a cited document that does not exist (planted)', () => {
      expect(problemsOf(`// (${cite('NOWHERE')}: the contract)`)).to.deep.equal([
        `${cite('NOWHERE')} (${cite('NOWHERE')}) is not in the repository.`,
      ]);
    });

    it('reports a missing section, part, item, rule, property and quote (planted)', () => {
      expect(
        problemsOf(
          [
            `// ${cite('REF')} §1.5`,
            `// ${cite('REF')} §5.2–5.5`,
            `// ${cite('REF')} §1.8 (c)`,
            `// ${cite('REF')} §1.8 (a)3`,
            `// ${cite('REF')} rule 9`,
            `// ${cite('REF')} property 7`,
            `// ${cite('REF')}, "Launcher"`,
          ].join('\n'),
        ),
      ).to.deep.equal([
        `${cite('REF')} has no section §1.5.`,
        `${cite('REF')} has no section §5.5.`,
        `${cite('REF')} §1.8 has no part (c).`,
        `${cite('REF')} §1.8 (a) has no item 3.`,
        `${cite('REF')} has no rule 9.`,
        `${cite('REF')} has no property 7.`,
        `${cite('REF')} has neither a heading nor a sentence with "Launcher".`,
      ]);
    });

    it('does not take §1.45 for §1.4', () => {
      const docs = { [cite('X')]: '### §1.45 Something' };
      const citations: Citation[] = findCitations(`// ${cite('X')} §1.4`, 'f.ts', (w) => w);
      expect(checkCitations(citations, (doc) => docs[doc])).to.have.length(1);
    });
  });

  it('every document a source file cites, and every section it names, is in the repository', () => {
    const problems = formatProblems(checkRepository(root));
    expect(problems.split('\n').filter((line) => line !== '')).to.deep.equal([]);
  });
});
