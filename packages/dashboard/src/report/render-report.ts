import * as fs from 'node:fs';
import * as path from 'node:path';
import { staticDir } from '../server';
import type { LatencySummary, RunData } from './read-run';

/** `</script>` inside inlined JSON would end the script element: escape every `<`. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function latencyRow(name: string, summary: LatencySummary): string {
  const cell = (value: number | null) => (value === null ? '–' : `${value.toFixed(1)} ms`);
  const q = summary.quantilesMs;
  return `<tr><td>${escapeHtml(name)}</td><td>${summary.count}</td><td>${cell(q.p50)}</td><td>${cell(q.p90)}</td><td>${cell(q.p99)}</td><td>${cell(q.max)}</td><td class="source">${escapeHtml(summary.source)}</td></tr>`;
}

/** "12.0 = 9.0 consensus + 3.0 heartbeat + 0.0 other" (or the total alone for older logs). */
function messagesCell(mpd: RunData['messagesPerDecision']): string {
  if (mpd.value === null) return '–';
  const total = `<b>${mpd.value.toFixed(1)}</b>`;
  if (mpd.split === null) return total;
  const { consensus, heartbeat, other } = mpd.split;
  return `${total} = <b>${consensus.toFixed(1)}</b> consensus + <b>${heartbeat.toFixed(1)}</b> heartbeat + ${other.toFixed(1)} other`;
}

/**
 * One self-contained HTML page for a finished run: the page's own CSS and drawing code (render.js,
 * shared with the live dashboard) and the run's data are inlined, so the file opens anywhere,
 * offline, and can be mailed or archived as it is.
 */
export function renderReport(run: RunData): string {
  const css = fs.readFileSync(path.join(staticDir, 'app.css'), 'utf8');
  const render = fs.readFileSync(path.join(staticDir, 'render.js'), 'utf8');
  const seconds = ((run.endMs - run.startMs) / 1000).toFixed(1);
  const mpd = run.messagesPerDecision;
  const axis =
    run.scenario === null
      ? 'time since the first log line (m:ss; no scenario ran)'
      : `scenario time (m:ss of "${escapeHtml(run.scenario.name)}" at ×${run.scenario.speed}: ${seconds} s real)`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>evpaxos run report — ${escapeHtml(path.basename(path.resolve(run.dir)))}</title>
<style>
${css}
.facts td:first-child { color: var(--muted); }
td.source, .source { white-space: normal; color: var(--muted); font-size: 11px; }
/* Half a 1280 px page holds these tables only if their cells may wrap. */
.report-tables td, .report-tables th { white-space: normal; }
.legend-band { display: inline-block; width: 12px; height: 10px; background: repeating-linear-gradient(45deg, var(--muted) 0 2px, transparent 2px 6px); opacity: 0.6; margin-right: 4px; }
.legend-mark { display: inline-block; width: 12px; border-top: 2px dashed var(--lead); margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<header>
  <h1>evpaxos <span class="sub">run report: ${escapeHtml(path.resolve(run.dir))}</span></h1>
  <div class="summary">${new Date(run.startMs).toISOString()} · ${seconds} s · ${run.nodes.length} processes · ${run.decidedSlots} slots, ${run.commandsDecided} commands decided · ${run.leaderChanges.length} leader change(s)</div>
</header>
<main>
  <section class="card wide">
    <h2>Power <small>per charge point, stacked, against the site limit; <span class="legend-band"></span>fault and crash intervals (labelled above the chart, behind the power: its scale is the power's), <span class="legend-mark"></span>leader changes; axis: ${axis}</small></h2>
    <div id="power-chart"></div>
  </section>
  <section class="card report-tables">
    <h2>Numbers</h2>
    <table class="facts">
      <tr><td>slots decided</td><td>${run.decidedSlots}</td></tr>
      <tr><td>commands decided</td><td>${run.commandsDecided}</td></tr>
      <tr><td>messages per decision</td><td>${messagesCell(mpd)}<div class="source">${escapeHtml(mpd.source)}</div></td></tr>
      <tr><td>site limit</td><td>${(run.siteLimitW / 1000).toFixed(1)} kW</td></tr>
      <tr><td>log lines</td><td>${run.linesRead} read, ${run.linesUnreadable} unreadable (skipped)</td></tr>
    </table>
    <h2 style="margin-top:12px">Latency</h2>
    <table>
      <thead><tr><th></th><th>n</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>measured from</th></tr></thead>
      ${latencyRow('commit (submit → applied)', run.commitLatency)}
      ${latencyRow('schedule (needs → profile sent)', run.profileLatency)}
    </table>
  </section>
  <section class="card report-tables">
    <h2>Leader changes and faults <small>${run.scenario === null ? 'since the first log line' : 'scenario time'}; how long in real seconds</small></h2>
    <div id="leaders"></div>
  </section>
  <section class="card wide">
    <h2>Timeline <small>newest first</small></h2>
    <div id="timeline"></div>
  </section>
</main>
<script>
${render}
</script>
<script>
(function () {
  'use strict';
  var run = ${inlineJson(run)};
  var R = window.EvRender;
  var bands = run.faultIntervals.map(function (b) { return Object.assign({ kind: 'fault' }, b); })
    .concat(run.downIntervals.map(function (b) { return Object.assign({ kind: 'down' }, b); }));
  // Scenario time: what the EV emulator's clock read (real ms since its start × its speed).
  var sc = run.scenario;
  function at(ms) {
    if (sc === null) return R.clock(ms, run.startMs);
    var s = ((ms - sc.startedAtMs) * sc.speed) / 1000;
    var sign = s < 0 ? '−' : '';
    s = Math.abs(s);
    return sign + Math.floor(s / 60) + ':' + String(Math.floor(s % 60)).padStart(2, '0');
  }
  function span(b) {
    var endMs = b.toMs === null ? run.endMs : b.toMs;
    var seconds = (endMs - b.fromMs) / 1000;
    var long = seconds < 0.1 ? 'under 0.1 s' : seconds < 10 ? seconds.toFixed(1) + ' s' : seconds.toFixed(0) + ' s';
    return at(b.fromMs) + '–' + (b.toMs === null ? 'end' : at(b.toMs)) + ' (' + long + ')';
  }
  var marks = run.leaderChanges.map(function (c) { return { atMs: c.atMs, label: c.leaderId + ' leads (' + c.ballot + ')' }; });
  document.getElementById('power-chart').innerHTML = R.powerChart(run.power, run.siteLimitW, { bands: bands, marks: marks, originMs: run.startMs, axisLabel: at, width: 1100, height: 300 });
  var rows = run.leaderChanges.map(function (c) {
    return '<tr><td>' + at(c.atMs) + '</td><td>leader</td><td>' + R.esc(c.leaderId + ' with ballot ' + c.ballot) + '</td></tr>';
  }).concat(bands.map(function (b) {
    return '<tr><td>' + span(b) + '</td><td>' + (b.kind === 'down' ? 'crash' : 'fault') + '</td><td>' + R.esc(b.label) + '</td></tr>';
  }));
  document.getElementById('leaders').innerHTML = '<table>' + (rows.join('') || '<tr><td>none</td></tr>') + '</table>';
  document.getElementById('timeline').innerHTML = R.timeline(run.events, run.startMs, at);
})();
</script>
</body>
</html>
`;
}
