/* global window */
// Two views drawn as SVG strings (no framework): the message-sequence view of the traced Paxos
// messages (a lane per node, the last seconds; docs/DASHBOARD.md) and the reservations' time bars.
(function () {
  'use strict';
  const R = window.EvRender;
  const colors = {
    'pre-vote': '#bab0ac',
    'pre-vote-reply': '#9c755f',
    prepare: '#b07aa1',
    promise: '#76b7b2',
    accept: '#4e79a7',
    accepted: '#59a14f',
    nack: '#e15759',
    decide: '#f28e2b',
  };
  const LABEL_W = 96;
  const LANE_H = 26;

  function keyOf(e) {
    return [e.type, e.from, e.to, e.slot, e.ballot ? R.ballotText(e.ballot) : '-'].join('|');
  }

  function describe(e) {
    const parts = [e.type, e.from + ' → ' + e.to];
    if (e.ballot) parts.push('ballot ' + R.ballotText(e.ballot));
    if (e.type === 'prepare') parts.push('from slot ' + e.slot);
    else if (e.type === 'pre-vote-reply')
      parts.push(e.granted ? 'granted' : 'refused (hears a live leader)');
    else if (e.type === 'decide') parts.push('slots ' + (e.slots || []).join(','));
    else if (e.type === 'promise') {
      parts.push('accepted before: ' + (e.slots && e.slots.length ? e.slots.join(',') : 'nothing'));
    } else if (e.type === 'nack') {
      parts.push('promised ' + (e.promised ? R.ballotText(e.promised) : '?'));
      if (e.leaseLive) parts.push('(hears a live leader)');
    } else if (e.slot !== null) parts.push('slot ' + e.slot);
    return parts.join(' ');
  }

  /**
   * Pairs each send with its arrival (same type, ends, slot and ballot; the first arrival not
   * before it): a line from the sender's lane at the send to the receiver's lane at the arrival.
   * A send whose receiver traces but never got it is dashed and ends in a cross (dropped: a
   * partition, a dead node); one to an untraced node is a short stub; an arrival from an untraced
   * sender is a short line into its receiver.
   */
  function pairs(messages, tracing) {
    const arrivals = new Map();
    for (const e of messages) {
      if (e.dir !== 'recv') continue;
      const key = keyOf(e);
      if (!arrivals.has(key)) arrivals.set(key, []);
      arrivals.get(key).push(e);
    }
    const used = new Set();
    const lines = [];
    for (const e of messages) {
      if (e.dir !== 'send') continue;
      const candidates = arrivals.get(keyOf(e)) || [];
      const arrival = candidates.find((r) => !used.has(r) && r.atMs >= e.atMs - 50);
      if (arrival) used.add(arrival);
      lines.push({
        e,
        sentMs: e.atMs,
        arrivedMs: arrival ? arrival.atMs : null,
        lost: !arrival && tracing.includes(e.to),
      });
    }
    for (const list of arrivals.values()) {
      for (const r of list) {
        if (!used.has(r)) lines.push({ e: r, sentMs: null, arrivedMs: r.atMs, lost: false });
      }
    }
    return lines;
  }

  function sequence(messages, nodeIds, tracing, nowMs, options) {
    const width = options.width;
    const windowMs = options.windowMs;
    const height = nodeIds.length * LANE_H + 28;
    const plotW = width - LABEL_W - 10;
    const x = (ms) => LABEL_W + ((ms - (nowMs - windowMs)) / windowMs) * plotW;
    const y = (id) => 14 + nodeIds.indexOf(id) * LANE_H + LANE_H / 2;
    let svg =
      '<svg class="sequence" viewBox="0 0 ' + width + ' ' + height + '" width="100%" role="img">';
    svg += '<defs>';
    for (const type of Object.keys(colors)) {
      svg +=
        '<marker id="arrow-' +
        type +
        '" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="' +
        colors[type] +
        '"/></marker>';
    }
    svg += '</defs>';
    nodeIds.forEach((id) => {
      svg +=
        '<line class="lane" x1="' +
        LABEL_W +
        '" x2="' +
        (width - 10) +
        '" y1="' +
        y(id) +
        '" y2="' +
        y(id) +
        '"/><text class="lane-label' +
        (tracing.includes(id) ? '' : ' untraced') +
        '" x="4" y="' +
        (y(id) + 4) +
        '">' +
        R.esc(id) +
        '</text>';
    });
    // Ten ticks across the span, labelled by how long before its end (ms below 2 s).
    for (let step = 0; step <= 10; step += 1) {
      const beforeMs = windowMs - (step * windowMs) / 10;
      svg +=
        '<text class="tick" x="' +
        x(nowMs - beforeMs) +
        '" y="' +
        (height - 4) +
        '" text-anchor="middle">' +
        (beforeMs === 0
          ? 'end'
          : '−' + (windowMs >= 2000 ? beforeMs / 1000 + ' s' : beforeMs + ' ms')) +
        '</text>';
    }
    const lines = pairs(messages, tracing).filter((l) => {
      const atMs = l.sentMs === null ? l.arrivedMs : l.sentMs;
      return atMs >= nowMs - windowMs && atMs <= nowMs && nodeIds.includes(l.e.from);
    });
    for (const l of lines) {
      if (!nodeIds.includes(l.e.to)) continue;
      const x1 = l.sentMs === null ? x(l.arrivedMs) - 6 : x(l.sentMs);
      const x2 = l.arrivedMs !== null ? Math.max(x(l.arrivedMs), x1 + 1) : x1 + (l.lost ? 18 : 6);
      const y1 = y(l.e.from);
      const y2 = l.lost ? (y(l.e.from) + y(l.e.to)) / 2 : y(l.e.to);
      const title =
        describe(l.e) +
        (l.arrivedMs !== null && l.sentMs !== null
          ? ', ' + Math.max(0, l.arrivedMs - l.sentMs) + ' ms'
          : l.lost
            ? ', never arrived'
            : '');
      svg +=
        '<line class="msg msg-' +
        l.e.type +
        (l.lost ? ' lost' : '') +
        '" data-type="' +
        l.e.type +
        '" x1="' +
        x1.toFixed(1) +
        '" y1="' +
        y1 +
        '" x2="' +
        x2.toFixed(1) +
        '" y2="' +
        y2 +
        '" stroke="' +
        colors[l.e.type] +
        '"' +
        (l.lost ? '' : ' marker-end="url(#arrow-' + l.e.type + ')"') +
        '><title>' +
        R.esc(title) +
        '</title></line>';
      if (l.lost) {
        svg +=
          '<text class="lost-mark" x="' +
          x2.toFixed(1) +
          '" y="' +
          (y2 + 4) +
          '" fill="' +
          colors[l.e.type] +
          '" text-anchor="middle">✕</text>';
      }
    }
    svg += '</svg>';
    const legend = Object.keys(colors)
      .map(
        (type) =>
          '<span class="legend-item"><span class="swatch" style="background:' +
          colors[type] +
          '"></span>' +
          type +
          '</span>',
      )
      .join('');
    return (
      '<div class="legend">' + legend + ' <span class="legend-item">✕ dropped</span></div>' + svg
    );
  }

  function clockOf(ms) {
    const d = new Date(ms);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  /** Per charge point a bar of each agreed reservation's window; ended ones greyed. */
  function reservationBars(reservations, chargePointIds, nowMs, options) {
    const width = options.width;
    const ids = chargePointIds.slice();
    for (const r of reservations) if (!ids.includes(r.chargePointId)) ids.push(r.chargePointId);
    const live = reservations.filter((r) => r.endedAtMs === null);
    const fromMs = nowMs - 15 * 60 * 1000;
    const latest = Math.max(nowMs + 2 * 3600 * 1000, ...live.map((r) => r.expiresAtMs));
    const toMs = Math.min(latest + 5 * 60 * 1000, nowMs + 24 * 3600 * 1000);
    const plotW = width - LABEL_W - 10;
    const x = (ms) =>
      LABEL_W + ((Math.min(Math.max(ms, fromMs), toMs) - fromMs) / (toMs - fromMs)) * plotW;
    const height = ids.length * LANE_H + 26;
    let svg =
      '<svg class="reservations" viewBox="0 0 ' +
      width +
      ' ' +
      height +
      '" width="100%" role="img">';
    const stepMs = toMs - fromMs > 6 * 3600 * 1000 ? 3600 * 1000 : 15 * 60 * 1000;
    for (let t = Math.ceil(fromMs / stepMs) * stepMs; t <= toMs; t += stepMs) {
      svg +=
        '<line class="grid" x1="' +
        x(t) +
        '" x2="' +
        x(t) +
        '" y1="6" y2="' +
        (height - 18) +
        '"/>';
      svg +=
        '<text class="tick" x="' +
        x(t) +
        '" y="' +
        (height - 4) +
        '" text-anchor="middle">' +
        clockOf(t) +
        '</text>';
    }
    ids.forEach((id, index) => {
      const top = 8 + index * LANE_H;
      svg += '<text class="lane-label" x="4" y="' + (top + 15) + '">' + R.esc(id) + '</text>';
      for (const r of reservations.filter((candidate) => candidate.chargePointId === id)) {
        const x1 = x(r.startsAtMs);
        // A window is never drawn narrower than 3 px: a short one must still be seen.
        const w = Math.max(3, x(r.expiresAtMs) - x1);
        const label =
          '#' +
          r.reservationId +
          ' ' +
          r.idToken +
          ' ' +
          clockOf(r.startsAtMs) +
          '–' +
          clockOf(r.expiresAtMs);
        const title =
          'reservation ' +
          r.reservationId +
          ' of ' +
          id +
          '/' +
          r.connectorId +
          ' for ' +
          r.idToken +
          ': ' +
          new Date(r.startsAtMs).toLocaleString() +
          ' – ' +
          new Date(r.expiresAtMs).toLocaleString() +
          (r.endedAtMs === null ? ' (agreed)' : ' (ended: cancelled, used or expired)');
        svg +=
          '<g class="bar' +
          (r.endedAtMs === null ? '' : ' ended') +
          '" data-reservation="' +
          r.reservationId +
          '"><title>' +
          R.esc(title) +
          '</title><rect x="' +
          x1.toFixed(1) +
          '" y="' +
          (top + 2) +
          '" width="' +
          w.toFixed(1) +
          '" height="' +
          (LANE_H - 8) +
          '" rx="3"/><text x="' +
          (x1 + 4).toFixed(1) +
          '" y="' +
          (top + 15) +
          '">' +
          R.esc(label) +
          '</text></g>';
      }
    });
    svg +=
      '<line class="now" x1="' +
      x(nowMs) +
      '" x2="' +
      x(nowMs) +
      '" y1="4" y2="' +
      (height - 18) +
      '"/>';
    svg += '</svg>';
    return svg;
  }

  window.EvSequence = { sequence, reservationBars };
})();
