import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { commandsDigest } from '@evpaxos/runtime';
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
    const digestOfC1 = commandsDigest([{ clientId: 'c', seq: 1, type: null }]);
    fs.writeFileSync(
      path.join(dir, 'logs', 'central-a.log'),
      [
        line(t, 'central-a', 'ready'),
        line(t + 10, 'central-a', 'became-leader', { ballot }),
        // docs/CLUSTER.md, "The decided record": a central's record lists the commands.
        line(t + 20, 'central-a', 'decided', {
          atMs: t + 20,
          slots: [[0, '1.central-a', digestOfC1, 1, 0, [], [['c', 1, null]]]],
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

/**
 * A run with a scenario at ×10, a crash and restart within one millisecond, a partition, and
 * stats lines that split the messages: what issue 19 asked of the report, checked in the page
 * Chromium renders at 1280 px.
 */
describe('report: scenario time, labelled fault intervals, messages split, no clipped text', function () {
  this.timeout(60_000);
  let dir: string;
  const t = Date.parse('2026-01-01T00:00:00Z');
  const chromiumPath = '/usr/bin/chromium';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-report-'));
    fs.mkdirSync(path.join(dir, 'logs'));
    const ballot = { round: 1, proposerId: 'central-a' };
    const digestOfC1 = commandsDigest([{ clientId: 'c', seq: 1, type: null }]);
    const stats = (atMs: number, applied: number, consensus: number, heartbeat: number) =>
      line(atMs, 'central-a', 'cluster-stats', {
        nodes: {
          'central-a': {
            framesOut: consensus + heartbeat + 2,
            messagesOut: { consensus, heartbeat, other: 2 },
            appliedThrough: applied,
          },
        },
        commitLatency: { buckets: { '+Inf': 0 }, count: 0, sumSeconds: 0 },
      });
    fs.writeFileSync(
      path.join(dir, 'logs', 'central-a.log'),
      [
        line(t, 'central-a', 'ready'),
        line(t + 10, 'central-a', 'became-leader', { ballot }),
        stats(t + 500, 0, 0, 0),
        line(t + 1000, 'central-a', 'faults set', {
          rules: [{ peer: 'cp1', direction: 'both', action: 'drop' }],
        }),
        line(t + 3000, 'central-a', 'faults cleared'),
        stats(t + 5500, 10, 90, 30),
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'logs', 'ev-emulator.log'),
      [
        line(t, 'ev-emulator', 'scenario-start', {
          scenario: 'lunch-rush',
          speed: 10,
          startedAtMs: t,
        }),
        line(t + 6000, 'ev-emulator', 'closed'),
      ].join('\n'),
    );
    const samples = [];
    for (let ms = 100; ms <= 6000; ms += 100) {
      samples.push(
        line(t + ms, 'cp1', 'power', { chargePointId: 'cp1', atMs: t + ms, powerW: 11000 }),
      );
    }
    fs.writeFileSync(
      path.join(dir, 'logs', 'cp1.log'),
      [line(t + 5, 'cp1', 'ready'), ...samples].join('\n'),
    );
    // cp2 crashes and is back within the same millisecond: a zero-width crash interval.
    fs.writeFileSync(
      path.join(dir, 'logs', 'cp2.log'),
      [
        line(t + 5, 'cp2', 'ready'),
        line(t + 2500, 'cp2', 'decided', {
          atMs: t + 2500,
          slots: [
            [0, '1.central-a', digestOfC1, 1, 5, []],
            [1, '1.central-a', commandsDigest([]), 0, 0, []],
          ],
        }),
        line(t + 2500, 'cp2', 'ready'),
        line(t + 6000, 'cp2', 'closed'),
      ].join('\n'),
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the scenario clock and splits messages per decision into consensus and heartbeat', () => {
    const run = readRun(dir);
    expect(run.scenario).to.deep.equal({ startedAtMs: t, speed: 10, name: 'lunch-rush' });
    expect(run.messagesPerDecision.value).to.equal(12); // 120 messages over 10 slots
    // Slot 0 recorded by central-a (its command) and cp2 (its digest): counted once.
    expect([run.decidedSlots, run.commandsDecided]).to.deep.equal([2, 1]);
    expect(run.messagesPerDecision.split).to.deep.equal({
      consensus: 9,
      heartbeat: 3,
      other: 0,
    });
    expect(run.downIntervals).to.deep.equal([
      { fromMs: t + 2500, toMs: t + 2500, label: 'cp2 down (crash)' },
    ]);
    const html = renderReport(run);
    expect(html).to.include('<b>12.0</b> = <b>9.0</b> consensus + <b>3.0</b> heartbeat');
    expect(html).to.include('scenario time (m:ss of "lunch-rush" at ×10');
  });

  it('in Chromium at 1280 px: labelled intervals behind the power, a zero-width crash visible, scenario axis, nothing clipped', async function () {
    if (!fs.existsSync(chromiumPath)) {
      console.log(`      skipped: ${chromiumPath} is missing (apt-get install -y chromium)`);
      this.skip();
    }
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, renderReport(readRun(dir)));
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`file://${file}`);
      // Page functions as strings: this package compiles without the DOM library.
      const facts = (await page.evaluate(`(() => {
        const svg = document.querySelector('#power-chart svg');
        const viewWidth = svg.viewBox.baseVal.width;
        const labels = [...svg.querySelectorAll('.band-label')].map((g) => {
          const box = g.querySelector('text').getBBox();
          return { text: g.querySelector('text').textContent, x: box.x, right: box.x + box.width,
            barWidth: Number(g.querySelector('rect').getAttribute('width')) };
        });
        const bands = [...svg.querySelectorAll('rect.band')];
        const firstArea = svg.querySelector('path.area');
        const behind = bands.every((band) =>
          band.compareDocumentPosition(firstArea) & Node.DOCUMENT_POSITION_FOLLOWING);
        const ticks = [...svg.querySelectorAll('text.axis')].map((e) => e.textContent);
        const clipped = [...document.querySelectorAll('main td, main th, main h2, main div, main section')]
          .filter((e) => e.scrollWidth > e.clientWidth + 1)
          .map((e) => e.tagName + ': ' + e.textContent.slice(0, 60));
        const R = window.EvRender;
        const power = { cp1: [{ atMs: 0, powerW: 40000 }, { atMs: 1000, powerW: 40000 }] };
        const kw = (html) => [...html.matchAll(/>([0-9]+) kW</g)].map((m) => m[1]).join(',');
        const scale = {
          without: kw(R.powerChart(power, 44000, {})),
          withBands: kw(R.powerChart(power, 44000, { bands: [{ fromMs: 200, toMs: 800, label: 'x' }] })),
        };
        return { viewWidth, labels, behind, ticks, clipped, scale,
          pageWidth: document.documentElement.scrollWidth };
      })()`)) as {
        viewWidth: number;
        labels: { text: string; x: number; right: number; barWidth: number }[];
        behind: boolean;
        ticks: string[];
        clipped: string[];
        scale: { without: string; withBands: string };
        pageWidth: number;
      };
      expect(errors).to.deep.equal([]);
      expect(facts.labels.map((label) => label.text)).to.deep.equal([
        'central-a cut from cp1',
        'cp2 down (crash)',
      ]);
      for (const label of facts.labels) {
        expect(label.x, label.text).to.be.at.least(0);
        expect(label.right, label.text).to.be.at.most(facts.viewWidth);
        expect(label.barWidth, `${label.text}: visible even when zero-width`).to.be.at.least(2);
      }
      expect(facts.behind, 'intervals drawn before (behind) the power').to.equal(true);
      expect(facts.scale.withBands, 'intervals leave the power scale alone').to.equal(
        facts.scale.without,
      );
      // Scenario time at ×10: the samples run from 0.1 s to 6 s real, 0:01 to 1:00 scenario.
      expect(facts.ticks.filter((tick) => /^\d+:\d\d$/.test(tick ?? ''))).to.include.members([
        '0:01',
        '1:00',
      ]);
      expect(facts.clipped, 'elements whose text overflows them').to.deep.equal([]);
      expect(facts.pageWidth).to.be.at.most(1280);
      fs.mkdirSync(path.resolve(__dirname, '../../../../test-artifacts'), { recursive: true });
      await page.screenshot({
        path: path.resolve(__dirname, '../../../../test-artifacts/report-1280.png'),
        fullPage: true,
      });
    } finally {
      await browser.close();
    }
  });
});
