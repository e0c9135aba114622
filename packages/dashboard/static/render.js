/* global window */
// Drawing shared by the live dashboard (app.js) and the run report (evpaxos report): plain
// functions from data to SVG/HTML strings, no framework, no network. Everything shown is escaped.
(function () {
  'use strict';

  const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#e15759'];

  function esc(value) {
    return String(value).replace(/[&<>"']/g, (c) => {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function ballotText(ballot) {
    return ballot ? ballot.round + '.' + ballot.proposerId : '-';
  }

  function clock(ms, originMs) {
    if (originMs !== undefined) {
      const s = Math.max(0, (ms - originMs) / 1000);
      return Math.floor(s / 60) + ':' + String(Math.floor(s % 60)).padStart(2, '0');
    }
    const d = new Date(ms);
    return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }

  // ---------------------------------------------------------------------------------------------
  // Topology: centrals on top, charge points below, every mesh link coloured by its state.

  function linkState(a, b) {
    if (!a.up || !b.up) return 'down';
    const cut = (node, peer) =>
      (node.status.faults || []).some(
        (rule) => (rule.peer === peer || rule.peer === '*') && rule.action === 'drop',
      );
    if (cut(a, b.id) || cut(b, a.id)) return 'cut';
    const seen = (node, peer) => {
      const entry = (node.status.peers || []).find((p) => p.id === peer);
      return entry ? entry.state : 'down';
    };
    const sa = seen(a, b.id);
    const sb = seen(b, a.id);
    if (sa === 'connected' && sb === 'connected') return 'connected';
    if (sa === 'down' && sb === 'down') return 'down';
    return 'connecting';
  }

  function topology(nodes, leaderId) {
    const width = 760;
    const height = 320;
    const centrals = nodes.filter((n) => n.role === 'central');
    const points = nodes.filter((n) => n.role !== 'central');
    const pos = {};
    centrals.forEach((n, i) => {
      pos[n.id] = { x: ((i + 1) * width) / (centrals.length + 1), y: 60 };
    });
    points.forEach((n, i) => {
      pos[n.id] = { x: ((i + 1) * width) / (points.length + 1), y: 220 };
    });
    let svg =
      '<svg class="topology" viewBox="0 0 ' +
      width +
      ' ' +
      height +
      '" role="img" aria-label="cluster topology">';
    for (let i = 0; i < nodes.length; i += 1) {
      for (let j = i + 1; j < nodes.length; j += 1) {
        const a = nodes[i];
        const b = nodes[j];
        const state = linkState(a, b);
        const p = pos[a.id];
        const q = pos[b.id];
        // Links between two charge points arc below the row, so they stay readable.
        const sameRow = p.y === q.y;
        const bend = sameRow ? (p.y > 100 ? 90 + Math.abs(q.x - p.x) / 6 : -30) : 0;
        const mx = (p.x + q.x) / 2;
        const my = (p.y + q.y) / 2 + bend;
        svg +=
          '<path class="link link-' +
          state +
          '" data-link="' +
          esc(a.id + '~' + b.id) +
          '" d="M' +
          p.x +
          ',' +
          p.y +
          ' Q' +
          mx +
          ',' +
          my +
          ' ' +
          q.x +
          ',' +
          q.y +
          '"><title>' +
          esc(a.id + ' ↔ ' + b.id + ': ' + state) +
          '</title></path>';
      }
    }
    for (const n of nodes) {
      const p = pos[n.id];
      const leader = n.id === leaderId;
      const s = n.status && n.status.paxos;
      const detail = !n.up
        ? ['down']
        : n.role === 'central'
          ? [
              (s.proposerState || '') +
                ' ' +
                ballotText(s.ballot) +
                ' · applied ' +
                s.appliedThrough,
            ]
          : ['promised ' + ballotText(s.promised), 'applied ' + s.appliedThrough];
      const detailY = n.role === 'central' ? [-34] : [40, 52];
      svg +=
        '<g class="node ' +
        (n.up ? 'up' : 'down') +
        (leader ? ' leader' : '') +
        '" data-node="' +
        esc(n.id) +
        '" transform="translate(' +
        p.x +
        ',' +
        p.y +
        ')">' +
        (leader ? '<circle class="leader-ring" r="31"></circle>' : '') +
        '<circle r="24"></circle><text class="id" dy="4">' +
        esc(n.id) +
        '</text>' +
        detail
          .map((text, i) => '<text class="detail" dy="' + detailY[i] + '">' + esc(text) + '</text>')
          .join('') +
        (leader
          ? '<text class="crown" dy="' + (n.role === 'central' ? -48 : 66) + '">leader</text>'
          : '') +
        '</g>';
    }
    svg += '</svg>';
    return svg;
  }

  // ---------------------------------------------------------------------------------------------
  // State diagrams, drawn from the site package's transition tables (machine.table).

  const layouts = {
    EVSE: {
      width: 620,
      height: 150,
      at: {
        waitingEV: [0, 0],
        beginSession: [1, 0],
        authentication: [2, 0],
        energyNegotiation: [3, 0],
        charging: [4, 0],
        endSession: [5, 0],
        restartingSession: [4, 1],
        failure: [1, 1],
      },
    },
    EV: {
      width: 620,
      height: 150,
      at: {
        not_connected: [0, 0],
        connected_not_charging: [1, 0],
        sendNeeds: [2, 0],
        receiveScheduling: [3, 0],
        charging_with_profile: [4, 0],
        charging_without_profile: [4, 1],
      },
    },
  };

  function stateDiagram(machine, current) {
    const layout = layouts[machine.name] || { width: 620, height: 150, at: {} };
    const boxW = 96;
    const boxH = 30;
    const place = (state, index) => {
      const cell = layout.at[state] || [index % 6, Math.floor(index / 6)];
      return { x: 6 + cell[0] * 102, y: 14 + cell[1] * 80 };
    };
    const boxes = {};
    machine.states.forEach((state, index) => {
      boxes[state] = place(state, index);
    });
    let svg =
      '<svg class="machine" viewBox="0 0 ' +
      layout.width +
      ' ' +
      layout.height +
      '" role="img" aria-label="' +
      esc(machine.name + ' state: ' + current) +
      '">';
    for (const from of machine.states) {
      const row = machine.table[from] || {};
      for (const event of Object.keys(row)) {
        const to = row[event];
        if (to === from) continue;
        const a = boxes[from];
        const b = boxes[to];
        if (!a || !b) continue;
        const ax = a.x + boxW / 2;
        const ay = a.y + boxH / 2;
        const bx = b.x + boxW / 2;
        const by = b.y + boxH / 2;
        // Backward edges bend the other way, so a pair of opposite edges does not overlap.
        const forward = bx > ax || (bx === ax && by > ay);
        const bend = Math.min(60, 12 + Math.abs(bx - ax) / 6) * (forward ? -1 : 1);
        const mx = (ax + bx) / 2 + (ay === by ? 0 : bend / 3);
        const my = (ay + by) / 2 + (ay === by ? bend : 0);
        const hot = from === current;
        svg +=
          '<path class="edge' +
          (hot ? ' hot' : '') +
          '" marker-end="url(#arrow' +
          (hot ? '-hot' : '') +
          ')" d="M' +
          ax +
          ',' +
          ay +
          ' Q' +
          mx +
          ',' +
          my +
          ' ' +
          bx +
          ',' +
          by +
          '"><title>' +
          esc(from + ' —' + event + '→ ' + to) +
          '</title></path>';
      }
    }
    for (const state of machine.states) {
      const b = boxes[state];
      const lit = state === current;
      const label = state.replace(/_/g, ' ');
      const words = label.length > 16 && label.includes(' ') ? splitTwo(label) : [label];
      svg +=
        '<g class="state' +
        (lit ? ' lit' : '') +
        '" data-state="' +
        esc(state) +
        '">' +
        '<rect x="' +
        b.x +
        '" y="' +
        b.y +
        '" width="' +
        boxW +
        '" height="' +
        boxH +
        '" rx="7"></rect>' +
        words
          .map(
            (word, i) =>
              '<text x="' +
              (b.x + boxW / 2) +
              '" y="' +
              (b.y + boxH / 2 + 4 + (i - (words.length - 1) / 2) * 11) +
              '">' +
              esc(word) +
              '</text>',
          )
          .join('') +
        '</g>';
    }
    svg +=
      '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"></path></marker>' +
      '<marker id="arrow-hot" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead hot"></path></marker></defs>';
    svg += '</svg>';
    return svg;
  }

  function splitTwo(label) {
    const words = label.split(' ');
    let best = 1;
    let bestDiff = Infinity;
    for (let i = 1; i < words.length; i += 1) {
      const diff = Math.abs(words.slice(0, i).join(' ').length - words.slice(i).join(' ').length);
      if (diff < bestDiff) {
        bestDiff = diff;
        best = i;
      }
    }
    return [words.slice(0, best).join(' '), words.slice(best).join(' ')];
  }

  // ---------------------------------------------------------------------------------------------
  // Power: the charge points' power stacked (their sum is what the breaker sees) against the limit.

  function powerChart(power, siteLimitW, options) {
    const opts = options || {};
    const width = opts.width || 900;
    const height = opts.height || 260;
    const left = 56;
    const right = 110;
    const bottom = 28;
    const ids = Object.keys(power).sort();
    let minMs = Infinity;
    let maxMs = -Infinity;
    for (const id of ids) {
      for (const sample of power[id]) {
        minMs = Math.min(minMs, sample.atMs);
        maxMs = Math.max(maxMs, sample.atMs);
      }
    }
    if (opts.windowMs && maxMs > -Infinity) minMs = Math.max(minMs, maxMs - opts.windowMs);
    if (!(maxMs > minMs)) {
      return (
        '<svg class="power" viewBox="0 0 ' +
        width +
        ' ' +
        height +
        '"><text x="' +
        width / 2 +
        '" y="' +
        height / 2 +
        '" class="empty">no power samples yet</text></svg>'
      );
    }
    const steps = Math.min(400, width - left - right);
    const grid = [];
    for (let i = 0; i <= steps; i += 1) grid.push(minMs + ((maxMs - minMs) * i) / steps);
    // The value of a charge point at t: its latest sample at or before t (a step function).
    const series = ids.map((id) => {
      const samples = power[id];
      let k = 0;
      return grid.map((t) => {
        while (k + 1 < samples.length && samples[k + 1].atMs <= t) k += 1;
        return samples.length > 0 && samples[k].atMs <= t ? samples[k].powerW : 0;
      });
    });
    const x = (t) => left + ((t - minMs) / (maxMs - minMs)) * (width - left - right);
    // Fault and crash intervals get a labelled strip above the plot, outside the power's scale.
    const strip = bandStrip(opts.bands || [], minMs, maxMs, x, width - right);
    const top = 14 + strip.height;
    let peak = siteLimitW;
    const totals = grid.map((_, i) => series.reduce((sum, s) => sum + s[i], 0));
    for (const total of totals) peak = Math.max(peak, total);
    const yMax = peak * 1.12;
    const y = (w) => top + (1 - w / yMax) * (height - top - bottom);
    let svg =
      '<svg class="power" viewBox="0 0 ' +
      width +
      ' ' +
      height +
      '" role="img" aria-label="power per charge point">';
    // Behind the power (drawn first), hatched, the plot's full height: the y scale is the power's.
    svg +=
      '<defs><pattern id="band-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2" height="6" class="hatch"></rect></pattern></defs>';
    for (const band of strip.bands) {
      svg +=
        '<rect class="band band-' +
        esc(band.kind || 'fault') +
        '" fill="url(#band-hatch)" x="' +
        band.x1 +
        '" y="' +
        top +
        '" width="' +
        band.w +
        '" height="' +
        (height - top - bottom) +
        '"><title>' +
        esc(band.label) +
        '</title></rect>';
    }
    svg += strip.svg;
    const below = grid.map(() => 0);
    series.forEach((values, index) => {
      const upper = values.map((v, i) => below[i] + v);
      let d = 'M' + x(grid[0]) + ',' + y(upper[0]);
      for (let i = 1; i < grid.length; i += 1) d += ' L' + x(grid[i]) + ',' + y(upper[i]);
      for (let i = grid.length - 1; i >= 0; i -= 1) d += ' L' + x(grid[i]) + ',' + y(below[i]);
      svg +=
        '<path class="area" fill="' +
        palette[index % palette.length] +
        '" d="' +
        d +
        'z"><title>' +
        esc(ids[index]) +
        '</title></path>';
      values.forEach((v, i) => {
        below[i] += v;
      });
    });
    svg +=
      '<line class="limit" x1="' +
      left +
      '" x2="' +
      (width - right) +
      '" y1="' +
      y(siteLimitW) +
      '" y2="' +
      y(siteLimitW) +
      '"></line><text class="limit-label" x="' +
      (width - right + 4) +
      '" y="' +
      (y(siteLimitW) + 4) +
      '">site limit ' +
      (siteLimitW / 1000).toFixed(1) +
      ' kW</text>';
    for (const mark of opts.marks || []) {
      if (mark.atMs < minMs || mark.atMs > maxMs) continue;
      svg +=
        '<line class="mark" x1="' +
        x(mark.atMs) +
        '" x2="' +
        x(mark.atMs) +
        '" y1="' +
        top +
        '" y2="' +
        (height - bottom) +
        '"><title>' +
        esc(mark.label) +
        '</title></line>';
    }
    for (let i = 0; i <= 4; i += 1) {
      const w = (yMax * i) / 4;
      svg +=
        '<text class="axis" x="' +
        (left - 6) +
        '" y="' +
        (y(w) + 4) +
        '" text-anchor="end">' +
        (w / 1000).toFixed(0) +
        ' kW</text><line class="gridline" x1="' +
        left +
        '" x2="' +
        (width - right) +
        '" y1="' +
        y(w) +
        '" y2="' +
        y(w) +
        '"></line>';
    }
    for (let i = 0; i <= 5; i += 1) {
      const t = minMs + ((maxMs - minMs) * i) / 5;
      svg +=
        '<text class="axis" x="' +
        x(t) +
        '" y="' +
        (height - 8) +
        '" text-anchor="middle">' +
        esc(opts.axisLabel ? opts.axisLabel(t) : clock(t, opts.originMs).slice(0, 8)) +
        '</text>';
    }
    // The legend starts below the site limit's label, which sits near the top of the plot.
    const legendTop = Math.max(top + 30, y(siteLimitW) + 14);
    ids.forEach((id, index) => {
      const last = series[index][series[index].length - 1];
      svg +=
        '<rect x="' +
        (width - right + 6) +
        '" y="' +
        (legendTop + index * 18) +
        '" width="10" height="10" fill="' +
        palette[index % palette.length] +
        '"></rect><text class="legend" x="' +
        (width - right + 20) +
        '" y="' +
        (legendTop + 9 + index * 18) +
        '">' +
        esc(id) +
        ' ' +
        (last / 1000).toFixed(1) +
        ' kW</text>';
    });
    svg += '</svg>';
    return svg;
  }

  /**
   * The fault and crash intervals' labels, in rows above the plot (a new row where a label would
   * overlap the one before it; at most 4 rows, the rest keep their tooltip). Every interval is at
   * least 2 px wide: a crash and restart within a sample must still be seen.
   */
  function bandStrip(bands, minMs, maxMs, x, rightEdge) {
    const rowH = 14;
    const rowsMax = 4;
    const rowEnds = [];
    const placed = [];
    let svg = '';
    for (const band of bands) {
      const fromMs = Math.max(minMs, band.fromMs);
      const toMs = Math.min(maxMs, band.toMs === null ? maxMs : band.toMs);
      if (toMs < fromMs) continue;
      const x1 = x(fromMs);
      const w = Math.max(2, x(toMs) - x1);
      placed.push({ x1, w, label: band.label, kind: band.kind });
      // 11 px system-ui: about 6 px per character.
      const textW = band.label.length * 6 + 6;
      const textX = Math.max(0, Math.min(x1, rightEdge - textW));
      let row = rowEnds.findIndex((end) => end + 6 <= textX);
      if (row < 0 && rowEnds.length < rowsMax) row = rowEnds.push(-Infinity) - 1;
      if (row < 0) continue;
      rowEnds[row] = textX + textW;
      const y = 12 + row * rowH;
      svg +=
        '<g class="band-label band-' +
        esc(band.kind || 'fault') +
        // An interval too short for a bar is a taller tick: seen, whatever its length.
        '"><rect x="' +
        x1 +
        '" y="' +
        (y + 2) +
        '" width="' +
        w +
        '" height="' +
        (w < 4 ? 8 : 3) +
        '"></rect><text x="' +
        textX +
        '" y="' +
        y +
        '">' +
        esc(band.label) +
        '</text></g>';
    }
    return { bands: placed, svg, height: rowEnds.length * rowH };
  }

  // ---------------------------------------------------------------------------------------------

  function timeline(events, originMs, format) {
    const rows = events
      .slice()
      .reverse()
      .map(
        (e) =>
          '<li class="ev-' +
          esc(e.kind) +
          '"><time>' +
          esc(format ? format(e.atMs) : clock(e.atMs, originMs)) +
          '</time><span class="kind">' +
          esc(e.kind) +
          '</span> ' +
          esc(e.text) +
          '</li>',
      );
    return '<ol class="timeline">' + rows.join('') + '</ol>';
  }

  window.EvRender = {
    esc,
    ballotText,
    clock,
    topology,
    stateDiagram,
    powerChart,
    timeline,
    palette,
  };
})();
