// The status page: one HTML document with its CSS and JS inline, a string bundled into the
// sidecar (no file is read at run time). Plain DOM, no framework: it polls ./status/api every
// second and redraws; every value goes in through textContent (no HTML injection from event
// fields such as job descriptions).
const CSS = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #6e7781; --bar: #0969da; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 16px 24px; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 20px 0 6px; }
h3 { font-size: 14px; margin: 12px 0 4px; color: var(--muted); }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px; margin: 8px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .k { font-size: 12px; color: var(--muted); }
.card .v { font-size: 20px; font-weight: 600; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: 2px 0 8px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; white-space: nowrap; }
td.desc { white-space: normal; max-width: 420px; overflow-wrap: anywhere; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
.bar { display: inline-block; width: 140px; height: 10px; border: 1px solid var(--line); border-radius: 3px; vertical-align: middle; overflow: hidden; margin-right: 6px; }
.bar > span { display: block; height: 100%; background: var(--bar); }
.app { border: 1px solid var(--line); border-radius: 8px; padding: 4px 14px 8px; margin: 12px 0; }
.pill { font-size: 12px; border-radius: 10px; padding: 1px 8px; border: 1px solid currentColor; }
`;

const JS = `
'use strict';
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k === undefined || k === null ? '' : String(k)));
  return e;
}
const num = (n) => (n === undefined || n === null ? '-' : Number(n).toLocaleString('en-US', { maximumFractionDigits: 1 }));
const bytes = (n) => (n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB');
const ago = (ms, now) => { const s = Math.max(0, Math.round((now - ms) / 1000)); return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago'; };
const dur = (a, b) => (a === undefined || a === null ? '-' : ((b - a) / 1000).toFixed(1) + ' s');
const cls = (s) => (s === 'succeeded' || s === 'terminated' || s === 'ended' ? 'ok' : s === 'failed' ? 'bad' : 'warn');
function progress(done, total) {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  const bar = el('span', { class: 'bar' }, el('span', { style: 'width:' + pct.toFixed(1) + '%' }));
  return el('span', {}, bar, el('span', { class: 'tasks' }, done + '/' + total));
}
function card(k, v, c, id) { return el('div', { class: 'card' }, el('div', { class: 'k' }, k), el('div', { class: 'v ' + (c || ''), id }, v)); }
function table(head, rows) { return el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows)); }

function render(d) {
  const s = d.sidecar, now = d.now;
  const kafka = s.health['sparkwire.kafka'];
  const spoolHealth = s.health['sparkwire.spool'];
  const clientDrops = s.clients.reduce((t, c) => t + c.droppedBufferFull + c.droppedSidecarUnavailable, 0);
  const sparkDrops = s.clients.reduce((t, c) => t + c.sparkDroppedEvents, 0);
  const sidecarDrops = Object.values(s.sidecarDrops).reduce((t, n) => t + n, 0);
  const cards = [];
  if (kafka !== undefined) cards.push(card('Kafka (sparkwire.kafka)', kafka === 'SERVING' ? 'up' : 'down', kafka === 'SERVING' ? 'ok' : 'bad', 'kafka-state'));
  else cards.push(card('sink', s.sink + ' ' + (s.health[s.sink] === 'SERVING' ? 'up' : 'down'), s.health[s.sink] === 'SERVING' ? 'ok' : 'bad', 'sink-state'));
  if (s.spool) {
    cards.push(card('spool (sparkwire.spool)', s.spool.drainer, spoolHealth === 'SERVING' ? 'ok' : 'bad', 'spool-state'));
    cards.push(card('spool depth', num(s.spool.pendingEntries) + ' batches', s.spool.pendingEntries > 0 ? 'warn' : '', 'spool-depth'));
    cards.push(card('spool on disk', bytes(s.spool.bytes) + ' / ' + bytes(s.spool.maxBytes)));
  }
  cards.push(card('events / s (10 s)', num(d.eventsPerSecond), '', 'event-rate'));
  cards.push(card('events published', num(s.events.published), '', 'events-published'));
  cards.push(card('client drops', num(clientDrops), clientDrops > 0 ? 'bad' : 'ok', 'client-drops'));
  cards.push(card('Spark listener-bus drops', num(sparkDrops), sparkDrops > 0 ? 'bad' : 'ok', 'spark-drops'));
  cards.push(card('sidecar drops', num(sidecarDrops), sidecarDrops > 0 ? 'bad' : 'ok', 'sidecar-drops'));
  $('cards').replaceChildren(...cards);
  const lastErr = s.spool && s.spool.lastError;
  $('notes').replaceChildren(
    ...(lastErr ? [el('div', { class: 'bad' }, 'last publish error: ' + lastErr)] : []),
    ...(Object.keys(s.sidecarDrops).length ? [el('div', { class: 'muted' }, 'sidecar drops by reason: ' + Object.entries(s.sidecarDrops).map(([k, v]) => k + ' ' + v).join(', '))] : []),
    ...(s.clients.length ? [el('div', { class: 'muted' }, 'clients: ' + s.clients.map((c) => c.clientId + ' (' + c.clientKind + ', ' + num(c.eventsSent) + ' sent, buffer full ' + c.droppedBufferFull + ', sidecar unavailable ' + c.droppedSidecarUnavailable + ', reported ' + ago(c.updatedAtMs, now) + ')').join('; '))] : []),
  );
  const apps = d.apps.map((a) => {
    const jobs = a.jobs.map((j) => el('tr', { 'data-job': a.appId + ':' + j.jobId },
      el('td', {}, j.jobId), el('td', { class: 'desc' }, j.description), el('td', { class: cls(j.status) }, j.status),
      el('td', {}, progress(j.completedTasks, j.numTasks)), el('td', {}, j.stageIds.join(', ') + (j.status === 'running' && j.stagesSubmitted < j.stageIds.length ? ' (' + j.stagesSubmitted + ' submitted)' : '')), el('td', {}, dur(j.startMs, j.endMs || now))));
    const stages = a.stages.map((st) => el('tr', { 'data-stage': a.appId + ':' + st.stageId + '.' + st.attempt },
      el('td', {}, st.stageId + (st.attempt ? '.' + st.attempt : '')), el('td', { class: 'desc' }, st.name), el('td', {}, st.jobId === undefined ? '-' : st.jobId),
      el('td', { class: cls(st.status) }, st.status), el('td', {}, progress(st.completedTasks, st.numTasks)),
      el('td', {}, st.runningTasks), el('td', { class: st.failedTasks ? 'bad' : '' }, st.failedTasks), el('td', {}, dur(st.submittedMs, st.completedMs || now))));
    const queries = a.queries.flatMap((q) => q.batches.length === 0
      ? [el('tr', { 'data-query': q.id }, el('td', {}, q.name || q.id), el('td', { class: cls(q.status) }, q.status), el('td', { colspan: 6, class: 'muted' }, 'no batch yet'))]
      : q.batches.map((b, i) => el('tr', { 'data-query': q.id },
        el('td', {}, i === 0 ? q.name || q.id : ''), el('td', { class: i === 0 ? cls(q.status) : '' }, i === 0 ? q.status : ''),
        el('td', {}, b.batchId), el('td', {}, num(b.numInputRows)), el('td', {}, num(b.inputRowsPerSecond)), el('td', {}, num(b.processedRowsPerSecond)),
        el('td', {}, b.batchDurationMs + ' ms'), el('td', { class: b.offsetsBehind > 0 ? 'warn' : '' }, b.offsetsBehind === undefined ? '-' : num(b.offsetsBehind)))));
    return el('section', { class: 'app', 'data-app': a.appId },
      el('h2', {}, a.appName + ' ', el('span', { class: 'muted' }, a.appId), ' ', el('span', { class: 'pill ' + cls(a.status) }, a.status)),
      el('div', { class: 'muted' }, 'attempt ' + (a.attemptId || '-') + ' | Spark ' + (a.sparkVersion || '?') + ' | user ' + (a.sparkUser || '?') + ' | ' + a.executors + ' executors | ' + num(a.events) + ' events | started ' + (a.startMs ? new Date(a.startMs).toISOString() : '?') + ' | last event ' + ago(a.lastEventMs, now)),
      el('h3', {}, 'jobs (newest first)'),
      a.jobs.length ? table(['job', 'description', 'status', 'tasks', 'stages', 'duration'], jobs) : el('div', { class: 'muted' }, 'no job yet'),
      el('h3', {}, 'stages (newest first)'),
      a.stages.length ? table(['stage', 'name', 'job', 'status', 'tasks completed/total', 'running', 'failed', 'duration'], stages) : el('div', { class: 'muted' }, 'no stage yet'),
      ...(a.queries.length ? [el('h3', {}, 'streaming queries (last batches)'), table(['query', 'status', 'batch', 'input rows', 'input rows/s', 'processed rows/s', 'duration', 'offsets behind latest'], queries)] : []));
  });
  $('apps').replaceChildren(...(apps.length ? apps : [el('p', { class: 'muted' }, 'No application seen yet: start a Spark job with the sparkwire listener.')]));
  const ev = d.evicted;
  $('evicted').textContent = ev.apps + ev.jobs + ev.stages > 0 ? 'older entries not kept: ' + ev.apps + ' applications, ' + ev.jobs + ' jobs, ' + ev.stages + ' stages' : '';
  $('updated').textContent = 'updated ' + new Date(now).toISOString().slice(11, 19) + ' UTC | up ' + dur(s.startedMs, now) + (s.version ? ' | sparkwire ' + s.version : '');
  $('conn').textContent = 'live'; $('conn').className = 'pill ok';
}

async function poll() {
  try {
    const r = await fetch('status/api', { credentials: 'same-origin', cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    render(await r.json());
  } catch (e) {
    $('conn').textContent = 'sidecar unreachable (' + e.message + ')'; $('conn').className = 'pill bad';
  } finally {
    setTimeout(poll, 1000);
  }
}
poll();
`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sparkwire status</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>sparkwire status</h1><span id="conn" class="pill warn">connecting</span><span id="updated" class="muted"></span></header>
<div id="cards" class="cards"></div>
<div id="notes"></div>
<div id="apps"></div>
<div id="evicted" class="muted"></div>
<script>${JS}</script>
</body>
</html>
`;
