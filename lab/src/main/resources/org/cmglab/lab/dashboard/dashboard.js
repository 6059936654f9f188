// CMG Lab live data-flow page: lights the arrow of each flow step as its event arrives (server-sent events on
// /events, one JSON FlowEvent per message), and refreshes the panels from /api/status. No dependencies.
'use strict';

(function () {
  const LIT_MS = 4000;          // an arrow stays lit this long after its last event, then shows as "seen"
  const MAX_ROWS = 60;          // recent requests shown
  const MAX_KEPT = 2000;        // events kept in window.cmglab.events / lit (for scripts and tests)
  const STATUS_EVERY_MS = 2000;

  // What the page did, for people (devtools) and for the browser test: events received, and every arrow lighting
  // in the order it happened ({step, phase, traceId, outcome, id}).
  const state = window.cmglab = {
    connected: false, events: [], lit: [], firstLit: [], statusOk: false, statusError: null, lastStatus: null,
  };
  const timers = {};
  const seenSteps = new Set();

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function str(v, dflt) { return v === undefined || v === null || v === '' ? (dflt === undefined ? '' : dflt) : String(v); }

  function shortTrace(t) { return t ? String(t).slice(0, 12) : '—'; }

  function timeOf(ev) {
    const t = ev && ev.time ? new Date(ev.time) : null;
    return t && !isNaN(t) ? t.toLocaleTimeString([], { hour12: false }) : '';
  }

  // ------------------------------------------------------------------ arrows

  function light(ev, id) {
    const step = str(ev.step);
    const arrow = document.getElementById('arrow-' + step);
    if (!arrow) { return; }
    const failed = ev.outcome !== 'ok';
    arrow.classList.remove('lit', 'fail', 'seen');
    void arrow.getBoundingClientRect(); // restart the CSS animation
    arrow.classList.add(failed ? 'fail' : 'lit');
    const detail = document.getElementById('detail-' + step);
    if (detail) {
      const parts = [str(ev.phase)];
      if (ev.status) { parts.push(String(ev.status)); }
      if (failed) { parts.push(str(ev.outcome)); }
      if (typeof ev.latencyMs === 'number' && ev.latencyMs > 0) { parts.push(ev.latencyMs.toFixed(1) + ' ms'); }
      detail.textContent = parts.filter(Boolean).join(' · ');
    }
    clearTimeout(timers[step]);
    timers[step] = setTimeout(() => {
      arrow.classList.remove('lit', 'fail');
      arrow.classList.add('seen');
    }, LIT_MS);
    state.lit.push({ step: step, phase: str(ev.phase), traceId: str(ev.traceId), outcome: str(ev.outcome), id: id });
    if (state.lit.length > MAX_KEPT) { state.lit.shift(); }
    if (!state.firstLit.includes(step)) { state.firstLit.push(step); }
    if (!seenSteps.has(step)) { seenSteps.add(step); markPorts(); }
  }

  // ------------------------------------------------------------------ recent requests

  function addRow(ev) {
    const body = document.querySelector('#requests tbody');
    const tr = el('tr', null, ev.outcome === 'ok' ? 'new' : 'new fail');
    tr.append(el('td', timeOf(ev), 'mono'),
      el('td', shortTrace(ev.traceId), 'mono'),
      el('td', str(ev.step) + ' ' + str(ev.phase)),
      el('td', str(ev.from, '?') + ' → ' + str(ev.to, '?')),
      el('td', str(ev.protocol, '?') + (ev.port ? ' :' + ev.port : '')),
      el('td', ev.status ? ev.status : (ev.outcome === 'ok' ? 'ok' : str(ev.outcome)), ev.outcome === 'ok' ? 'ok' : 'bad'),
      el('td', typeof ev.latencyMs === 'number' ? ev.latencyMs.toFixed(1) + ' ms' : ''),
      el('td', str(ev.detail)));
    tr.title = str(ev.traceId) + ' — ' + str(ev.component) + ' ' + str(ev.auth);
    body.prepend(tr);
    while (body.children.length > MAX_ROWS) { body.lastElementChild.remove(); }
    document.getElementById('event-count').textContent = state.events.length + ' events';
  }

  // ------------------------------------------------------------------ event stream

  function onEvent(msg) {
    let ev;
    try { ev = JSON.parse(msg.data); } catch (e) { console.warn('not a flow event', msg.data); return; }
    if (!ev || typeof ev !== 'object' || !ev.step) { return; }
    const id = Number(msg.lastEventId) || 0;
    state.events.push(Object.assign({ id: id }, ev));
    if (state.events.length > MAX_KEPT) { state.events.shift(); }
    light(ev, id);
    addRow(ev);
  }

  function connect() {
    const conn = document.getElementById('conn');
    const es = new EventSource('/events');  // reconnects by itself, sending Last-Event-ID
    es.onopen = () => { state.connected = true; conn.textContent = 'live'; conn.className = 'conn on'; };
    es.onerror = () => { state.connected = false; conn.textContent = 'reconnecting…'; conn.className = 'conn off'; };
    es.onmessage = onEvent;
  }

  // ------------------------------------------------------------------ status panels

  function cell(tr, v, cls) { tr.append(el('td', v, cls)); }

  function yesNo(v) { return v === true ? '✓' : v === false ? '✗' : '?'; }

  function renderStatus(st) {
    const lab = st.lab || {};
    const bits = [];
    if (lab.state) { bits.push('lab ' + lab.state); }
    if (lab.net !== undefined) { bits.push('127.' + lab.net + '.x.y'); }
    if (lab.portOffset !== undefined) { bits.push('port offset ' + lab.portOffset); }
    if (Array.isArray(lab.options) && lab.options.length) { bits.push(lab.options.join(' ')); }
    if (lab.logDir) { bits.push('logs ' + lab.logDir); }
    document.getElementById('labline').textContent = bits.join(' · ');

    const cbody = document.querySelector('#channels tbody');
    cbody.replaceChildren();
    const instances = Array.isArray(st.instances) ? st.instances : [];
    for (const inst of instances) {
      const channels = Array.isArray(inst.channels) && inst.channels.length ? inst.channels : [null];
      for (const ch of channels) {
        const tr = el('tr');
        cell(tr, str(inst.name, 'instance ' + str(inst.index, '?')));
        cell(tr, str(inst.address), 'mono');
        cell(tr, yesNo(ch ? ch.ready : inst.ready), (ch ? ch.ready : inst.ready) ? 'ok' : 'bad');
        cell(tr, ch ? str(ch.transport, '?') : 'no channel');
        cell(tr, ch ? str(ch.port) : '');
        cell(tr, ch ? str(ch.proxy, 'none') : '');
        cell(tr, ch ? str(ch.connectionId) : '', 'mono');
        cell(tr, ch ? str(ch.streams) : '');
        cell(tr, ch && ch.fallbackFrom ? ch.fallbackFrom + ' → ' + str(ch.transport) + ' (' + str(ch.fallbackReason) + ')' : '');
        cbody.append(tr);
      }
    }
    document.getElementById('channels-empty').hidden = instances.length > 0;

    const pbody = document.querySelector('#components tbody');
    pbody.replaceChildren();
    for (const c of Array.isArray(st.components) ? st.components : []) {
      const tr = el('tr');
      cell(tr, str(c.name, '?'));
      cell(tr, str(c.pid));
      cell(tr, str(c.address), 'mono');
      cell(tr, yesNo(c.alive), c.alive === false ? 'bad' : '');
      cell(tr, yesNo(c.ready), c.ready ? 'ok' : 'bad');
      pbody.append(tr);
    }

    const faults = document.getElementById('faults');
    faults.replaceChildren();
    const fl = Array.isArray(st.faults) ? st.faults : [];
    if (!fl.length) { faults.append(el('li', 'none', 'empty')); }
    for (const f of fl) {
      faults.append(el('li', str(f.name, '?') + (f.since ? ' since ' + f.since : '') + (f.detail ? ': ' + f.detail : ''), 'bad'));
    }
  }

  async function refreshStatus() {
    try {
      const r = await fetch('/api/status', { cache: 'no-store' });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) { throw new Error(body.error || ('HTTP ' + r.status)); }
      state.statusOk = true; state.statusError = null; state.lastStatus = body;
      renderStatus(body);
    } catch (e) {
      state.statusOk = false; state.statusError = String(e.message || e);
      document.getElementById('labline').textContent = 'lab status unavailable: ' + state.statusError;
    } finally {
      setTimeout(refreshStatus, STATUS_EVERY_MS);
    }
  }

  // ------------------------------------------------------------------ port table

  const portRows = [];

  function markPorts() {
    for (const p of portRows) {
      const seen = p.steps.some((s) => seenSteps.has(s));
      p.mark.textContent = seen ? '✓ ' + p.steps.filter((s) => seenSteps.has(s)).join(' ') : '';
      p.mark.className = seen ? 'ok' : '';
    }
  }

  async function loadPorts() {
    try {
      const rows = await (await fetch('/api/ports')).json();
      const body = document.querySelector('#ports tbody');
      for (const r of Array.isArray(rows) ? rows : []) {
        const tr = el('tr');
        const steps = Array.isArray(r.steps) ? r.steps : [];
        cell(tr, steps.join(' '));
        cell(tr, str(r.from)); cell(tr, str(r.to)); cell(tr, str(r.protocol));
        cell(tr, str(r.productPort)); cell(tr, str(r.lab), 'mono');
        const mark = el('td');
        tr.append(mark);
        body.append(tr);
        // a row this lab does not use (e.g. '(not used: one instance)') is never marked seen
        portRows.push({ steps: str(r.lab).startsWith('(') ? [] : steps, mark: mark });
      }
      markPorts();
    } catch (e) {
      console.warn('port table unavailable', e);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    loadPorts();
    connect();
    refreshStatus();
  });
})();
