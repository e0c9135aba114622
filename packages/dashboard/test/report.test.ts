import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRun, renderReport } from '../src';

function line(atMs: number, node: string, message: string, fields: Record<string, unknown> = {}) {
  return JSON.stringify({
    level: 'info',
    message,
    node,
    timestamp: new Date(atMs).toISOString(),
    ...fields,
  });
}

describe('report: readRun + renderReport', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-report-'));
    fs.mkdirSync(path.join(dir, 'logs'));
    const t = Date.parse('2026-01-01T00:00:00Z');
    const ballot = { round: 1, proposerId: 'central-a' };
    fs.writeFileSync(
      path.join(dir, 'logs', 'central-a.log'),
      [
        line(t, 'central-a', 'ready'),
        line(t + 10, 'central-a', 'became-leader', { ballot }),
        line(t + 20, 'central-a', 'decided', {
          slot: 0,
          ballot,
          commands: [{ clientId: 'c', seq: 1 }],
        }),
        line(t + 1000, 'central-a', 'faults set', {
          rules: [{ peer: 'cp1', direction: 'both', action: 'drop' }],
        }),
        line(t + 3000, 'central-a', 'faults cleared'),
        line(t + 3500, 'central-a', 'cluster-stats', {
          nodes: { 'central-a': { framesOut: 10, appliedThrough: 0 } },
          commitLatency: {
            buckets: { '0.001': 0, '0.005': 2, '+Inf': 2 },
            count: 2,
            sumSeconds: 0.006,
          },
        }),
        line(t + 8500, 'central-a', 'cluster-stats', {
          nodes: { 'central-a': { framesOut: 40, appliedThrough: 3 } },
          commitLatency: {
            buckets: { '0.001': 0, '0.005': 4, '+Inf': 4 },
            count: 4,
            sumSeconds: 0.012,
          },
        }),
        'not json: a torn line',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'logs', 'cp1.log'),
      [
        line(t + 5, 'cp1', 'ready'),
        line(t + 100, 'cp1', 'power', {
          chargePointId: 'cp1',
          atMs: t + 100,
          powerW: 11000,
          mode: 'profile',
        }),
        line(t + 2000, 'cp1', 'power', {
          chargePointId: 'cp1',
          atMs: t + 2000,
          powerW: 5000,
          mode: 'fail-safe',
        }),
        line(t + 9000, 'cp1', 'closed'),
      ].join('\n'),
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads leader changes, fault intervals, power, messages per decision and latency', () => {
    const run = readRun(dir);
    expect(run.leaderChanges).to.have.length(1);
    expect(run.faultIntervals).to.have.length(1);
    const fault = run.faultIntervals[0];
    expect(fault && fault.toMs !== null ? fault.toMs - fault.fromMs : null).to.equal(2000);
    expect(run.power.cp1).to.have.length(2);
    expect(run.linesUnreadable).to.equal(1);
    expect(run.messagesPerDecision.value).to.equal(10); // 30 frames over 3 slots
    expect(run.commitLatency.count).to.equal(4);
    expect(run.commitLatency.quantilesMs.p50).to.be.within(1, 5);
  });

  it('renders one self-contained page: no external script, style or image', () => {
    const html = renderReport(readRun(dir));
    expect(html)
      .to.include('<svg')
      .and.not.match(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3)/);
    expect(html).to.include('window.EvRender');
  });
});
