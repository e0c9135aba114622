/* global window, document, WebSocket, fetch, location, history, setTimeout */
// The live dashboard: one WebSocket to the central serving the page (/dashboard/ws), a full view
// on connect, then an update every poll; everything is redrawn from the state kept here.
(function () {
  'use strict';
  const R = window.EvRender;
  const POWER_SAMPLES_MAX = 1200;
  const EVENTS_MAX = 400;
  const WINDOW_MS = 10 * 60 * 1000;
  // The message-sequence view: the last 10 s (the backend keeps as much, DASHBOARD_LIMITS).
  const SEQUENCE_WINDOW_MS = 10 * 1000;
  const SEQUENCE_MESSAGES_MAX = 800;
  const S = window.EvSequence;
  let machines = null;
  let view = null;
  let labKey = '';

  const $ = (id) => document.getElementById(id);

  function connect() {
    const socket = new WebSocket(
      (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/dashboard/ws',
    );
    socket.onopen = () => setConnection(true);
    socket.onclose = () => {
      setConnection(false);
      // The central may have been killed from this very page: try again, it may come back.
      setTimeout(connect, 1000);
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === 'snapshot') {
        machines = data.machines;
        view = data.view;
      } else if (data.type === 'update' && machines !== null) {
        // The server sends updates only to a viewer that has had its snapshot; an update before
        // it is still ignored here (a defence: the snapshot is whole). The collector polls only
        // while someone watches (docs/DASHBOARD.md), so a snapshot can come before the first
        // poll, with no view yet (the next update is then whole).
        if (view === null) view = data.view;
        else merge(data.view);
      }
      if (view !== null && machines !== null) render();
    };
  }

  function setConnection(on) {
    const el = $('connection');
    el.textContent = on ? 'live' : 'offline — reconnecting';
    el.className = 'connection ' + (on ? 'on' : 'off');
  }

  function merge(update) {
    // The first update after the snapshot counts from the last broadcast, which may be before
    // the snapshot: what the snapshot already has (seq <= its seq) is not added twice.
    const since = view.seq;
    const fresh = (item) => item.seq > since;
    const power = view.power;
    for (const id of Object.keys(update.power)) {
      const list = (power[id] = (power[id] || []).concat(update.power[id].filter(fresh)));
      if (list.length > POWER_SAMPLES_MAX) list.splice(0, list.length - POWER_SAMPLES_MAX);
    }
    const events = view.events.concat(update.events.filter(fresh));
    if (events.length > EVENTS_MAX) events.splice(0, events.length - EVENTS_MAX);
    const messages = view.messages
      .concat(update.messages.filter(fresh))
      .filter((m) => m.atMs >= update.atMs - SEQUENCE_WINDOW_MS);
    if (messages.length > SEQUENCE_MESSAGES_MAX) {
      messages.splice(0, messages.length - SEQUENCE_MESSAGES_MAX);
    }
    view = Object.assign({}, update, { power, events, messages });
  }

  // During a partition a cut-off leader may still call itself leader: the highest ballot wins.
  function leaderOf(nodes) {
    const leaders = nodes
      .filter((n) => n.up && n.status && n.status.paxos.proposerState === 'leader')
      .sort((a, b) => b.status.paxos.ballot.round - a.status.paxos.ballot.round);
    return leaders.length > 0 ? leaders[0].id : null;
  }

  function render() {
    const nodes = view.nodes;
    const leaderId = leaderOf(nodes);
    const leader = nodes.find((n) => n.id === leaderId);
    const up = nodes.filter((n) => n.up).length;
    $('summary').innerHTML =
      'leader <b id="leader-id">' +
      R.esc(leaderId || 'none') +
      '</b>' +
      (leader
        ? ' · ballot <b>' +
          R.esc(R.ballotText(leader.status.paxos.ballot)) +
          '</b> · applied <b>' +
          leader.status.paxos.appliedThrough +
          '</b>'
        : '') +
      ' · <b>' +
      up +
      '/' +
      nodes.length +
      '</b> nodes up · site limit <b>' +
      (view.siteLimitW / 1000).toFixed(1) +
      ' kW</b> · this page: ' +
      R.esc(view.selfId) +
      (view.lab.enabled ? ' · <b>lab mode</b>' : '');
    $('topology').innerHTML = R.topology(nodes, leaderId);
    renderLab(nodes, leaderId);
    renderSlots(nodes);
    $('timeline').innerHTML = R.timeline(view.events);
    const marks = view.events
      .filter((e) => e.kind === 'leader')
      .map((e) => ({ atMs: e.atMs, label: e.text }));
    $('power-chart').innerHTML = R.powerChart(view.power, view.siteLimitW, {
      windowMs: WINDOW_MS,
      width: 1300,
      marks,
    });
    renderChargePoints(nodes);
    renderMessages(nodes);
    renderReservations(nodes);
  }

  function renderMessages(nodes) {
    const tracing = view.tracing;
    $('trace-state').textContent =
      tracing.length === 0
        ? 'tracing is off: start the cluster with --trace, run `evpaxos trace`' +
          (view.lab.enabled ? ', or press Trace on' : '')
        : 'tracing on ' + tracing.join(', ');
    $('trace-on').hidden = !view.lab.enabled || tracing.length === nodes.filter((n) => n.up).length;
    $('trace-off').hidden = !view.lab.enabled || tracing.length === 0;
    drawSequence(nodes);
  }

  // Messages take milliseconds: over 10 s they are near-vertical arrows. Frozen, the chart ends at
  // the last message and a short span spreads an election or one slot's round trip out.
  let frozen = null;
  function drawSequence(nodes) {
    const freeze = $('trace-freeze').checked;
    if (!freeze) frozen = null;
    else if (frozen === null)
      frozen = { messages: view.messages.slice(), nodes, tracing: view.tracing };
    const shown = frozen || { messages: view.messages, nodes, tracing: view.tracing };
    const spanMs = Number($('trace-span').value);
    const lastMs =
      shown.messages.length > 0 ? shown.messages[shown.messages.length - 1].atMs : view.atMs;
    const endMs = freeze ? lastMs + spanMs * 0.05 : view.atMs;
    $('sequence-chart').innerHTML = S.sequence(
      shown.messages,
      shown.nodes.map((n) => n.id),
      shown.tracing,
      endMs,
      { width: 1300, windowMs: spanMs },
    );
  }

  function renderReservations(nodes) {
    if (view.reservations === null) {
      $('reservation-bars').textContent = 'this central serves no /reservations (no OCPP port)';
      return;
    }
    const bars = S.reservationBars(
      view.reservations,
      nodes.filter((n) => n.role === 'charge-point').map((n) => n.id),
      view.atMs,
      { width: 1300 },
    );
    $('reservation-bars').innerHTML =
      (view.reservations.length === 0
        ? '<p class="hint">no reservation agreed yet: evpaxos reserve cp3 --from +10m --to +1h --token T</p>'
        : '') + bars;
  }

  function renderSlots(nodes) {
    const acceptors = nodes.filter((n) => n.role === 'charge-point').map((n) => n.id);
    let rows = '';
    if (view.inFlight) {
      rows +=
        '<tr class="inflight"><td>' +
        view.inFlight.from +
        '…' +
        (view.inFlight.from + view.inFlight.count - 1) +
        '</td><td colspan="3" class="pending">' +
        view.inFlight.count +
        ' slot(s) in flight at the leader: Phase 2 waiting for a quorum</td><td class="pending">no</td></tr>';
    }
    for (const slot of view.slots) {
      const chips = acceptors
        .map((id) => {
          if (slot.acceptedBy === null) return '';
          const yes = slot.acceptedBy.includes(id);
          return '<span class="acc' + (yes ? '' : ' no') + '">' + R.esc(id) + '</span>';
        })
        .join('');
      rows +=
        '<tr data-slot="' +
        slot.slot +
        '"><td>' +
        slot.slot +
        '</td><td>' +
        R.esc(R.ballotText(slot.ballot)) +
        '</td><td class="types">' +
        R.esc(slot.types.join(', ') || '…') +
        '</td><td>' +
        (slot.acceptedBy === null
          ? '<span class="acc no" title="decided while another central led">not led here</span>'
          : chips) +
        '</td><td>' +
        (slot.decided ? '<span class="tick">decided</span>' : 'no') +
        (slot.applied ? '' : ' <span class="pending">(not applied)</span>') +
        '</td></tr>';
    }
    $('slots').innerHTML =
      '<table><thead><tr><th>slot</th><th>ballot</th><th>commands</th><th>accepted by (phase-2 quorum)</th><th>state</th></tr></thead><tbody>' +
      (rows || '<tr><td colspan="5">no slot applied yet</td></tr>') +
      '</tbody></table>';
  }

  function renderChargePoints(nodes) {
    const html = nodes
      .filter((n) => n.role === 'charge-point')
      .map((n) => {
        const evse = n.evse;
        const head =
          '<h3>' +
          R.esc(n.id) +
          '<span>' +
          (!n.up
            ? 'down'
            : evse
              ? (evse.evId ? 'EV ' + R.esc(evse.evId) : 'no EV') +
                ' · ' +
                (evse.powerW / 1000).toFixed(1) +
                ' kW' +
                (evse.evId && evse.mode ? ' · ' + R.esc(evse.mode) : '')
              : 'no EVSE reading') +
          '</span></h3>';
        return (
          '<div class="cp' +
          (n.up ? '' : ' down') +
          '" data-cp="' +
          R.esc(n.id) +
          '">' +
          head +
          '<div class="machine-label">EVSE</div>' +
          R.stateDiagram(machines.evse, evse ? evse.evseState : '') +
          '<div class="machine-label">EV (last known, as the EVSE sees it)</div>' +
          R.stateDiagram(machines.ev, evse ? evse.evState : '') +
          '</div>'
        );
      })
      .join('');
    $('charge-points').innerHTML = html;
  }

  // -------------------------------------------------------------------------------------------
  // Lab mode: the same fault API as the CLI, through this central's dashboard backend.

  function renderLab(nodes, leaderId) {
    const lab = $('lab');
    lab.hidden = !view.lab.enabled;
    if (!view.lab.enabled) return;
    const key = nodes.map((n) => n.id + (n.up ? '+' : '-')).join(',') + view.lab.restart;
    if (key !== labKey) {
      labKey = key;
      $('lab-nodes').innerHTML = nodes
        .map(
          (n) =>
            '<span class="lab-node">' +
            R.esc(n.id) +
            ' <button class="danger" data-action="kill" data-node="' +
            R.esc(n.id) +
            '"' +
            (n.up ? '' : ' disabled') +
            '>kill</button> <button data-action="restart" data-node="' +
            R.esc(n.id) +
            '"' +
            (view.lab.restart && n.id !== view.selfId ? '' : ' disabled') +
            '>restart</button>' +
            // A charge point's EVSE can fail and recover (docs/SITE.md, "Faults").
            (n.role === 'charge-point'
              ? ' <button data-action="fault" data-node="' +
                R.esc(n.id) +
                '"' +
                (n.up ? '' : ' disabled') +
                '>fault</button> <button data-action="recover" data-node="' +
                R.esc(n.id) +
                '"' +
                (n.up ? '' : ' disabled') +
                '>recover</button>'
              : '') +
            '</span>',
        )
        .join('');
    }
    const spec = $('partition-spec');
    if (!spec.value && leaderId) {
      const others = nodes.filter((n) => n.id !== leaderId).map((n) => n.id);
      spec.placeholder = leaderId + ' | ' + others.join(',');
    }
  }

  // Lab actions change the site: they need the API token (docs/CLUSTER.md, "Authentication").
  // It arrives in the URL fragment `cluster up --lab` prints (a browser sends no fragment to any
  // server, so no log holds it), or pasted into the page; the page trades it for an HttpOnly
  // cookie and drops it from the address bar.
  async function startSession(token) {
    const answer = await fetch('/dashboard/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
      body: JSON.stringify({ token }),
    });
    $('lab-login').hidden = answer.ok;
    $('lab-result').textContent = answer.ok ? '' : 'the token was refused';
    return answer.ok;
  }
  let session = Promise.resolve(false);
  const fragment = /(?:^#|&)token=([0-9a-fA-F]+)/.exec(location.hash);
  if (fragment) {
    history.replaceState(null, '', location.pathname + location.search);
    session = startSession(fragment[1]).catch(() => false);
  }

  async function lab(action, body) {
    $('lab-result').textContent = action + '…';
    await session;
    try {
      const answer = await fetch('/dashboard/api/lab/' + action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body || {}),
      });
      const result = await answer.json();
      if (answer.status === 401) $('lab-login').hidden = false;
      $('lab-result').textContent =
        (answer.ok ? 'done: ' : 'refused: ') + (result.reason || JSON.stringify(result));
    } catch (error) {
      $('lab-result').textContent = action + ' failed: ' + error;
    }
  }

  /** POST /ocpp/stations/:id/:action on this central (docs/OCPP.md, "Operator operations"). */
  async function operate() {
    const station = $('op-station').value.trim();
    const action = $('op-action').value;
    let payload = {};
    try {
      payload = JSON.parse($('op-payload').value || '{}');
    } catch (error) {
      $('op-result').textContent = 'the payload is not JSON: ' + error.message;
      return;
    }
    if (!station) {
      $('op-result').textContent = 'name a station, e.g. cp1';
      return;
    }
    $('op-result').textContent = action + '…';
    // An operation changes a station: it needs the API token, like the lab actions.
    await session;
    try {
      const answer = await fetch(
        '/ocpp/stations/' + encodeURIComponent(station) + '/' + encodeURIComponent(action),
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(payload),
        },
      );
      const result = await answer.json();
      if (answer.status === 401) $('lab-login').hidden = false;
      $('op-result').textContent = answer.status + ' ' + JSON.stringify(result, null, 1);
    } catch (error) {
      $('op-result').textContent = action + ' failed: ' + error;
    }
  }

  function parseSides(text) {
    return text
      .split('|')
      .map((side) =>
        side
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
      )
      .filter((side) => side.length > 0);
  }

  for (const id of ['trace-span', 'trace-freeze']) {
    $(id).addEventListener('change', () => view !== null && drawSequence(view.nodes));
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    if (button.dataset.action === 'ocpp-operation') {
      operate();
      return;
    }
    if (view === null) return;
    const action = button.dataset.action;
    if (action === 'kill' || action === 'restart' || action === 'fault' || action === 'recover') {
      lab(action, { node: button.dataset.node });
    } else if (action === 'isolate-leader') {
      const leaderId = leaderOf(view.nodes);
      if (!leaderId) return;
      lab('partition', {
        sides: [[leaderId], view.nodes.filter((n) => n.id !== leaderId).map((n) => n.id)],
      });
    } else if (action === 'partition') {
      const spec = $('partition-spec');
      lab('partition', { sides: parseSides(spec.value || spec.placeholder) });
    } else if (action === 'heal') {
      lab('heal');
    } else if (action === 'trace-on' || action === 'trace-off') {
      lab('trace', { on: action === 'trace-on' });
    } else if (action === 'login') {
      session = startSession($('lab-token').value.trim()).catch(() => false);
    }
  });

  connect();
})();
