import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../src';
import { boundRepeats } from '../src/logger';

function capture(level: 'error' | 'warn' | 'info' | 'debug'): {
  lines: () => Record<string, unknown>[];
  raw: string[];
  logger: ReturnType<typeof createLogger>;
} {
  const raw: string[] = [];
  const logger = createLogger({ level, pretty: false, fields: { node: 'cp1' } }, (line) =>
    raw.push(line),
  );
  return {
    raw,
    logger,
    lines: () =>
      raw
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Lets the microtask that writes a run's lines go. */
const endOfRun = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createLogger (JSON lines)', () => {
  it('writes one JSON line per call: level, message and timestamp first, then the fields', async () => {
    const { raw, lines, logger } = capture('info');
    logger.info('decided', { slot: 7, commands: [{ clientId: 'c', seq: 1 }] });
    await endOfRun();
    expect(raw).to.have.length(1);
    expect(raw[0]?.endsWith('\n')).to.equal(true);
    expect(Object.keys(lines()[0] ?? {})).to.deep.equal([
      'level',
      'message',
      'timestamp',
      'node',
      'slot',
      'commands',
    ]);
    expect(lines()[0]).to.include({ level: 'info', message: 'decided', node: 'cp1', slot: 7 });
    expect(Date.parse(String(lines()[0]?.timestamp))).to.be.closeTo(Date.now(), 5_000);
  });

  it('writes the lines of one synchronous run in one write at its end, and warn or error at once', async () => {
    const { raw, lines, logger } = capture('debug');
    logger.info('decided', { slot: 1 });
    logger.debug('decided', { slot: 2 });
    expect(raw).to.have.length(0);
    await endOfRun();
    expect(raw).to.have.length(1);
    logger.info('decided', { slot: 3 });
    logger.warn('slow');
    // The warn line goes out at once, after the info line before it: the order is kept.
    expect(raw).to.have.length(2);
    logger.info('closing');
    logger.close();
    expect(raw).to.have.length(3);
    expect(lines().map((line) => line.slot ?? line.message)).to.deep.equal([
      1,
      2,
      3,
      'slow',
      'closing',
    ]);
  });

  it('writes the pending lines when the process exits in the same run (process.exit, a real process)', () => {
    const runtime = path.join(__dirname, '..', 'src', 'index.js');
    const script = [
      `const { createLogger } = require(${JSON.stringify(runtime)});`,
      "const logger = createLogger({ level: 'info', pretty: false });",
      "logger.info('decided', { slot: 1 });",
      "logger.info('last words');",
      'process.exit(3);',
    ].join('\n');
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(child.status).to.equal(3);
    const messages = child.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).to.deep.equal(['decided', 'last words']);
  });

  it('drops lines below its level and keeps those at or above it', () => {
    const { lines, logger } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines().map((line) => line.message)).to.deep.equal(['w', 'e']);
  });

  it('keeps a line whose fields cannot be serialized and says why', () => {
    const { lines, logger } = capture('debug');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    logger.error('odd', { cycle, big: 1n });
    expect(lines()).to.have.length(1);
    expect(lines()[0]).to.include({ level: 'error', message: 'odd', node: 'cp1' });
    expect(String(lines()[0]?.logError)).to.match(/not serializable/);
  });

  it('lets a call field override a default field of the same name', async () => {
    const { lines, logger } = capture('info');
    logger.info('moved', { node: 'cp2' });
    await endOfRun();
    expect(lines()[0]?.node).to.equal('cp2');
  });
});

describe('boundRepeats (bounded logging)', () => {
  it('writes 5 warn lines of one message a second, counts the rest, and passes info lines', () => {
    const written: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
    const record =
      (level: string) =>
      (message: string, meta?: Record<string, unknown>): void => {
        written.push({ level, message, ...(meta === undefined ? {} : { meta }) });
      };
    let nowMs = 0;
    const logger = boundRepeats(
      {
        debug: record('debug'),
        info: record('info'),
        warn: record('warn'),
        error: record('error'),
        close: () => undefined,
      },
      () => nowMs,
    );
    for (let i = 0; i < 1000; i += 1) logger.warn('http: refused', { remote: `10.0.0.${i % 250}` });
    for (let i = 0; i < 20; i += 1) logger.error('http: handler failed');
    for (let i = 0; i < 20; i += 1) logger.info('decided', { slot: i });
    expect(written.filter((line) => line.message === 'http: refused')).to.have.length(5);
    expect(written.filter((line) => line.message === 'http: handler failed')).to.have.length(5);
    expect(written.filter((line) => line.message === 'decided')).to.have.length(20);
    // The next interval: the count of the last one first, then the new lines.
    nowMs = 1_000;
    logger.warn('http: refused');
    expect(written.at(-2)).to.deep.include({
      level: 'warn',
      message: "995 more 'http: refused' warnings not written",
    });
    expect(written.at(-1)?.message).to.equal('http: refused');
    logger.close();
    expect(written.at(-1)).to.deep.include({
      level: 'error',
      message: "15 more 'http: handler failed' errors not written",
    });
  });
});
