import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The citation checker behind docs-citations.test.ts: comments may cite only documents the
 * repository holds (docs/STYLE.md rule 7: comments cite their source), so every document a source
 * file names (a path ending in .md) must exist, and whatever the citation points at inside it must
 * exist too:
 *   docs/OCPP.md §5.2–5.4, §1.8 (a)2   a heading numbered 5.2, 5.3, 5.4 and 1.8, whose body has
 *                                      an (a) part with an item 2
 *   docs/STYLE.md rule 3               item 3 of the section whose heading names rules
 *   docs/DESIGN.md property 6          item 6 of the section whose heading names properties
 *   docs/CLUSTER.md, "HTTP API"        a heading holding that text, or that exact text in the body
 * A markdown link from one document to another must point at a file that exists.
 */

/** One citation of a document, where it was found. */
export interface Citation {
  /** The file that cites, relative to the repository root. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** The cited document as written: `docs/SITE.md`, or a path beside the citing file. */
  readonly written: string;
  /** The cited document, relative to the repository root, once resolved. */
  readonly doc: string;
  /** Section numbers (`5.3`), each with an optional part (`a`) and item (`2`). */
  readonly sections: readonly { number: string; part?: string; item?: number }[];
  readonly rules: readonly number[];
  readonly properties: readonly number[];
  /** Quoted text after the citation: a heading's name or a phrase of the document. */
  readonly quotes: readonly string[];
}

export interface CitationProblem {
  readonly citation: Citation;
  /** One sentence. */
  readonly problem: string;
}

/** A document name with its path, e.g. the one this file's header cites for rule 7. */
const docPattern = /(?<![\w/.:-])((?:[\w.-]+\/)*[\w-]+\.md)\b/g;
/** `§5.2–5.4`, `§1.8 (a)2`, with what may join several of them: `, §1.4, §1.8 (a)2`. */
const sectionPattern =
  /^(?:\s*,?\s*)§\s?(\d+(?:\.\d+)*)(?:\s*[–-]\s*§?\s?(\d+(?:\.\d+)*))?(?:\s*\(([a-z])\)\s*(\d+)?)?/;
const rulePattern = /^\s*,?\s*rules?\s+(\d+(?:\s*(?:,|and|or)\s*\d+)*)/;
const propertyPattern = /^\s*,?\s*propert(?:y|ies)\s+(\d+(?:\s*(?:,|and|or)\s*\d+)*)/;
const quotePattern = /^\s*(?:[,:]\s*\(?|\()\s*"([^"]{2,120})"/;
const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/** The numbers of a range `5.2–5.4`: its ends and, when only the last part differs, those between. */
function expandRange(from: string, to: string | undefined): string[] {
  if (to === undefined || to === from) return [from];
  const a = from.split('.');
  const b = to.split('.');
  const head = a.slice(0, -1).join('.');
  const first = Number(a[a.length - 1]);
  const last = Number(b[b.length - 1]);
  if (a.length !== b.length || head !== b.slice(0, -1).join('.') || last < first) {
    return [from, to];
  }
  const numbers: string[] = [];
  for (let n = first; n <= last; n += 1) numbers.push(head === '' ? String(n) : `${head}.${n}`);
  return numbers;
}

function numberList(text: string): number[] {
  return text.split(/\s*(?:,|and|or)\s*/).map(Number);
}

/**
 * Every document citation in `text` (a source file or a fixture), with what it points at.
 * `resolveDoc` maps the name as written to a repository path (or undefined: not resolvable).
 */
export function findCitations(
  text: string,
  file: string,
  resolveDoc: (written: string) => string,
): Citation[] {
  const citations: Citation[] = [];
  text.split('\n').forEach((rawLine, index) => {
    // A URL names someone else's file (https://…/features.md), not one of ours.
    const line = rawLine.replace(urlPattern, (url) => ' '.repeat(url.length));
    for (const match of line.matchAll(docPattern)) {
      const written = match[1]!;
      let rest = line.slice((match.index ?? 0) + match[0].length);
      const sections: { number: string; part?: string; item?: number }[] = [];
      for (let found = sectionPattern.exec(rest); found; found = sectionPattern.exec(rest)) {
        const numbers = expandRange(found[1]!, found[2]);
        numbers.forEach((number, i) => {
          const last = i === numbers.length - 1;
          sections.push({
            number,
            ...(last && found![3] !== undefined ? { part: found![3] } : {}),
            ...(last && found![4] !== undefined ? { item: Number(found![4]) } : {}),
          });
        });
        rest = rest.slice(found[0].length);
      }
      const rules = rulePattern.exec(rest);
      const properties = propertyPattern.exec(rest);
      const quote = quotePattern.exec(rest);
      citations.push({
        file,
        line: index + 1,
        written,
        doc: resolveDoc(written),
        sections,
        rules: rules ? numberList(rules[1]!) : [],
        properties: properties ? numberList(properties[1]!) : [],
        quotes: quote ? [quote[1]!] : [],
      });
    }
  });
  return citations;
}

/** Markdown links to other documents: `[text](path)` where the path ends in .md (a #fragment aside). */
export function findLinks(text: string, file: string): Citation[] {
  const links: Citation[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(/\]\(([^)\s#]+\.md)(?:#[^)\s]*)?\)/g)) {
      const written = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(written)) continue;
      links.push({
        file,
        line: index + 1,
        written,
        doc: path.posix.normalize(path.posix.join(path.posix.dirname(file), written)),
        sections: [],
        rules: [],
        properties: [],
        quotes: [],
      });
    }
  });
  return links;
}

interface Heading {
  readonly level: number;
  readonly text: string;
  readonly lineIndex: number;
}

function headingsOf(lines: readonly string[]): Heading[] {
  const headings: Heading[] = [];
  let fenced = false;
  lines.forEach((line, lineIndex) => {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6})\s+(.*)$/.exec(line);
    if (match) headings.push({ level: match[1]!.length, text: match[2]!.trim(), lineIndex });
  });
  return headings;
}

/** The lines under a heading, up to the next heading of the same or a higher level. */
function bodyOf(
  lines: readonly string[],
  headings: readonly Heading[],
  heading: Heading,
): string[] {
  const next = headings.find((h) => h.lineIndex > heading.lineIndex && h.level <= heading.level);
  return lines.slice(heading.lineIndex + 1, next?.lineIndex ?? lines.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Markdown emphasis and code marks out, whitespace collapsed: how a quote is compared. */
function plain(text: string): string {
  return text.replace(/[*`_]/g, '').replace(/\s+/g, ' ');
}

/** The numbered items (`3. **A limit…`) under the first heading whose text matches `named`. */
function numberedItems(lines: readonly string[], headings: readonly Heading[], named: RegExp) {
  const heading = headings.find((h) => named.test(h.text));
  if (heading === undefined) return undefined;
  const items = new Set<number>();
  for (const line of bodyOf(lines, headings, heading)) {
    const match = /^(\d+)\.\s/.exec(line);
    if (match) items.add(Number(match[1]));
  }
  return items;
}

/**
 * What is wrong with each citation: a missing document, or a section, rule, property or quoted
 * text the document does not have. `readDoc` returns a document's text, or undefined if the
 * repository has no such file.
 */
export function checkCitations(
  citations: readonly Citation[],
  readDoc: (doc: string) => string | undefined,
): CitationProblem[] {
  const problems: CitationProblem[] = [];
  for (const citation of citations) {
    const report = (problem: string) => problems.push({ citation, problem });
    const text = readDoc(citation.doc);
    if (text === undefined) {
      report(`${citation.written} (${citation.doc}) is not in the repository.`);
      continue;
    }
    const lines = text.split('\n');
    const headings = headingsOf(lines);
    for (const section of citation.sections) {
      const numbered = new RegExp(`^(?:§\\s?)?${escapeRegExp(section.number)}(?![.]?\\d)`);
      const heading = headings.find((h) => numbered.test(h.text));
      if (heading === undefined) {
        report(`${citation.doc} has no section §${section.number}.`);
        continue;
      }
      if (section.part === undefined) continue;
      const body = bodyOf(lines, headings, heading);
      const partAt = body.findIndex((line) => line.includes(`(${section.part})`));
      if (partAt < 0) {
        report(`${citation.doc} §${section.number} has no part (${section.part}).`);
        continue;
      }
      if (section.item === undefined) continue;
      const nextPart = body.findIndex((line, i) => i > partAt && /\([a-z]\)/.test(plain(line)));
      const partBody = body.slice(partAt + 1, nextPart < 0 ? body.length : nextPart);
      if (!partBody.some((line) => new RegExp(`^\\s*${section.item}\\.\\s`).test(line))) {
        report(`${citation.doc} §${section.number} (${section.part}) has no item ${section.item}.`);
      }
    }
    for (const [kind, numbers, named] of [
      ['rule', citation.rules, /\brules?\b/i],
      ['property', citation.properties, /\bpropert(y|ies)\b/i],
    ] as const) {
      if (numbers.length === 0) continue;
      const items = numberedItems(lines, headings, named);
      if (items === undefined) {
        report(
          `${citation.doc} has no heading that lists ${kind === 'rule' ? 'rules' : 'properties'}.`,
        );
        continue;
      }
      for (const n of numbers) {
        if (!items.has(n)) report(`${citation.doc} has no ${kind} ${n}.`);
      }
    }
    for (const quote of citation.quotes) {
      const wanted = plain(quote);
      const inHeading = headings.some((h) =>
        plain(h.text).toLowerCase().includes(wanted.toLowerCase()),
      );
      if (!inHeading && !plain(text).includes(wanted)) {
        report(`${citation.doc} has neither a heading nor a sentence with "${quote}".`);
      }
    }
  }
  return problems;
}

/** Directories of the repository whose files may cite documents. */
const scannedDirs = ['src', 'test', 'bench', 'bin'];
const scannedExtensions = new Set(['.ts', '.js', '.mjs', '.cjs', '.sh', '.json', '.yml', '.yaml']);

function walk(dir: string, files: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, files);
    else if (scannedExtensions.has(path.extname(entry.name)) || !entry.name.includes('.')) {
      files.push(full);
    }
  }
}

/**
 * Every file whose comments may cite a document: packages/<name>/{src,test,bench,bin}, scripts/,
 * and the root's build files. Paths relative to `root`, with forward slashes.
 */
export function citingFiles(root: string): string[] {
  const files: string[] = [];
  for (const name of fs.readdirSync(path.join(root, 'packages'))) {
    for (const dir of scannedDirs) {
      const full = path.join(root, 'packages', name, dir);
      if (fs.existsSync(full)) walk(full, files);
    }
  }
  walk(path.join(root, 'scripts'), files);
  for (const name of ['eslint.config.mjs', 'Dockerfile', 'docker-compose.yml', 'package.json']) {
    if (fs.existsSync(path.join(root, name))) files.push(path.join(root, name));
  }
  return files.map((file) => path.relative(root, file).split(path.sep).join('/'));
}

/** The documents whose links must resolve: README.md and every docs/**\/*.md. */
export function documentFiles(root: string): string[] {
  const files: string[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) visit(rel);
      else if (entry.name.endsWith('.md')) files.push(rel);
    }
  };
  visit('docs');
  return ['README.md', ...files];
}

/**
 * How a source file's citation is resolved: `docs/…` from the repository root; any other path
 * from the citing file's directory first, then from the root.
 */
export function resolverFor(root: string, file: string): (written: string) => string {
  return (written) => {
    if (written.startsWith('docs/')) return written;
    const besideFile = path.posix.normalize(path.posix.join(path.posix.dirname(file), written));
    return fs.existsSync(path.join(root, besideFile)) ? besideFile : path.posix.normalize(written);
  };
}

/** Every citation problem in the repository at `root`. */
export function checkRepository(root: string): CitationProblem[] {
  const citations: Citation[] = [];
  for (const file of citingFiles(root)) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    citations.push(...findCitations(text, file, resolverFor(root, file)));
  }
  for (const file of documentFiles(root)) {
    citations.push(...findLinks(fs.readFileSync(path.join(root, file), 'utf8'), file));
  }
  const cache = new Map<string, string | undefined>();
  return checkCitations(citations, (doc) => {
    if (!cache.has(doc)) {
      const full = path.join(root, doc);
      cache.set(
        doc,
        fs.existsSync(full) && fs.statSync(full).isFile()
          ? fs.readFileSync(full, 'utf8')
          : undefined,
      );
    }
    return cache.get(doc);
  });
}

/** `file:line: problem`, one per line, for a failing test's message. */
export function formatProblems(problems: readonly CitationProblem[]): string {
  return problems
    .map(({ citation, problem }) => `${citation.file}:${citation.line}: ${problem}`)
    .join('\n');
}
