// engagekit results dashboard: reads /api/reports/content, /api/reports/experiments and
// /api/stats for ?writeKey= (default "demo") and renders them as tables, and the event
// volume per day as a chart (Chart.js, bundled by scripts/build.sh into dist/dashboard/)
// with the same numbers in a table beside it. The admin API
// needs a session: without one the page goes to signin.html and comes back.
//
// Every slot, variant and event name here was sent by a visitor's browser, so all DOM is
// built with createElement and textContent, never innerHTML: a name like
// "<img src=x onerror=...>" shows as that text. The page's CSP backs this up.

import { Chart, BarController, BarElement, CategoryScale, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const params = new URLSearchParams(location.search);
const writeKey = params.get('writeKey') || 'demo';
const from = params.get('from') || '';
const to = params.get('to') || '';

const percent = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const signedPercent = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' });
const integer = new Intl.NumberFormat();

/** Creates an element with optional class and text. */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function query(extra) {
  const q = new URLSearchParams({ writeKey });
  if (extra) {
    if (from) q.set('from', from);
    if (to) q.set('to', to);
  }
  return q.toString();
}

/** Sends the visitor to the sign-in page, to come back here after. */
function toSignIn() {
  location.replace(`/dashboard/signin.html?next=${encodeURIComponent(location.pathname + location.search)}`);
}

/** The session's CSRF token, or null (then on to sign in). */
async function session() {
  const res = await fetch('/api/session', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (res.status === 401) return null;
  if (!res.ok) throw new Error(`/api/session: HTTP ${res.status}`);
  return (await res.json()).csrf;
}

async function getJson(path, withRange) {
  const res = await fetch(`${path}?${query(withRange)}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (res.status === 401) {
    toSignIn();
    throw new Error('signed out');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Fall through: the status line explains the failure.
  }
  if (!res.ok) {
    const why = body && typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
    throw new Error(`${path}: ${why}`);
  }
  return body;
}

function numberCell(text) {
  return el('td', text, 'num');
}

function formatP(p) {
  if (p === null || p === undefined) return '—';
  // Three decimals, but a tiny p-value should not read as exactly zero.
  return p < 0.0005 ? '< 0.001' : p.toFixed(3);
}

/** The result column, in words so it does not rely on colour. */
function verdict(v, isControl, hasGoal) {
  if (isControl) return { text: 'control', cls: 'control' };
  if (!hasGoal) return { text: 'no goal set', cls: 'none' };
  if (v.significant === null || v.significant === undefined) return { text: 'no test possible', cls: 'none' };
  return v.significant ? { text: 'significant', cls: 'sig' } : { text: 'not significant', cls: 'nonsig' };
}

const COLUMNS = ['Variant', 'Visitors exposed', 'Conversions', 'Conversion rate', 'Uplift vs control', 'p-value', 'Result'];

/** One table for a slot or experiment entry of a report. */
function resultTable(kind, name, entry) {
  const table = el('table');
  const caption = el('caption');
  caption.append(el('span', `${kind} `), el('strong', name));
  const goal = entry.goal ? `goal: ${entry.goal}` : 'no goal event configured';
  caption.append(el('span', ` — ${goal}; control: ${entry.control}`, 'meta'));
  table.append(caption);

  const head = el('thead');
  const headRow = el('tr');
  COLUMNS.forEach((label, i) => {
    const th = el('th', label, i === 0 || i === COLUMNS.length - 1 ? null : 'num');
    th.scope = 'col';
    headRow.append(th);
  });
  head.append(headRow);
  table.append(head);

  const body = el('tbody');
  const hasGoal = Boolean(entry.goal);
  for (const v of entry.variants || []) {
    const isControl = v.variant === entry.control;
    const row = el('tr');
    const th = el('th', v.variant);
    th.scope = 'row';
    row.append(th);
    row.append(numberCell(integer.format(v.exposures)));
    row.append(numberCell(v.conversions === null ? '—' : integer.format(v.conversions)));
    row.append(numberCell(v.rate === null ? '—' : percent.format(v.rate)));
    row.append(numberCell(isControl ? '—' : v.uplift === null ? 'n/a' : signedPercent.format(v.uplift)));
    row.append(numberCell(formatP(v.pValue)));
    const r = verdict(v, isControl, hasGoal);
    row.append(el('td', r.text, `verdict ${r.cls}`));
    body.append(row);
  }
  table.append(body);
  const wrap = el('div', null, 'table-wrap');
  wrap.append(table);
  return wrap;
}

function renderReport(container, entries, kind, key, emptyText) {
  container.replaceChildren();
  if (!entries || entries.length === 0) {
    container.append(el('p', emptyText, 'empty'));
    return;
  }
  for (const entry of entries) container.append(resultTable(kind, entry[key], entry));
}

function countTable(captionText, firstColumn, counts) {
  const table = el('table');
  table.append(el('caption', captionText));
  const head = el('thead');
  const headRow = el('tr');
  const a = el('th', firstColumn);
  a.scope = 'col';
  const b = el('th', 'Count', 'num');
  b.scope = 'col';
  headRow.append(a, b);
  head.append(headRow);
  table.append(head);
  const body = el('tbody');
  const rows = Object.entries(counts || {}).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  for (const [name, n] of rows) {
    const row = el('tr');
    const th = el('th', name);
    th.scope = 'row';
    row.append(th, numberCell(integer.format(n)));
    body.append(row);
  }
  table.append(body);
  const wrap = el('div', null, 'table-wrap');
  wrap.append(table);
  return wrap;
}

let volumeChart = null;

/** Events per day as a bar chart, described in words for screen readers, with the same
 *  numbers in a table under a disclosure. Colours come from the page's CSS variables. */
function volumeFigure(days) {
  const figure = el('figure', null, 'volume');
  const total = days.reduce((n, d) => n + d.events, 0);
  const peak = days.reduce((best, d) => (d.events > best.events ? d : best), days[0] || { events: 0, day: '' });
  const caption = `Events received per day, last ${days.length} days (UTC)`;
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${caption}: ${integer.format(total)} in all` +
    (peak.events ? `, most on ${peak.day} (${integer.format(peak.events)})` : ''));
  const box = el('div', null, 'chart-box');
  box.append(canvas);
  const details = el('details');
  details.append(el('summary', 'Show the numbers'));
  const numbers = countTable(caption, 'Day', Object.fromEntries(days.map((d) => [d.day, d.events])));
  // Days in date order, not by count.
  const tbody = numbers.querySelector('tbody');
  [...tbody.rows].sort((a, b) => (a.cells[0].textContent < b.cells[0].textContent ? -1 : 1)).forEach((r) => tbody.append(r));
  details.append(numbers);
  figure.append(el('figcaption', caption), box, details);

  const css = getComputedStyle(document.documentElement);
  const colour = (name) => css.getPropertyValue(name).trim();
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  if (volumeChart) volumeChart.destroy();
  volumeChart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: days.map((d) => d.day.slice(5)),
      datasets: [{ label: 'Events', data: days.map((d) => d.events), backgroundColor: colour('--focus') }],
    },
    options: {
      animation: reduced ? false : { duration: 300 },
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: {
        x: { ticks: { color: colour('--muted') }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: colour('--muted'), precision: 0 }, grid: { color: colour('--line') } },
      },
    },
  });
  return figure;
}

function renderStats(container, stats) {
  container.replaceChildren();
  if (Array.isArray(stats.byDay) && stats.byDay.length) container.append(volumeFigure(stats.byDay));
  const summary = el('p');
  summary.append(
    el('span', 'Stored events: '), el('strong', integer.format(stats.events)),
    el('span', '. Dropped by browsers before sending (queue full): '), el('strong', integer.format(stats.dropped)),
    el('span', '.'),
  );
  container.append(summary);
  container.append(countTable('Events by type', 'Type', stats.byType));
  container.append(countTable('Events by name (track events and named pages)', 'Event', stats.byEvent));
}

function renderError(container, error) {
  container.replaceChildren(el('p', error.message, 'error'));
}

async function load() {
  const status = document.getElementById('status');
  const targets = {
    content: document.getElementById('content'),
    experiments: document.getElementById('experiments'),
    events: document.getElementById('events'),
  };
  status.textContent = `Loading results for ${writeKey}…`;
  document.body.classList.add('loading');
  const [content, experiments, stats] = await Promise.allSettled([
    getJson('/api/reports/content', true),
    getJson('/api/reports/experiments', true),
    getJson('/api/stats', false),
  ]);
  document.body.classList.remove('loading');

  if (content.status === 'fulfilled') {
    renderReport(targets.content, content.value.slots, 'Slot', 'slot', 'No content block has been seen yet.');
  } else {
    renderError(targets.content, content.reason);
  }
  if (experiments.status === 'fulfilled') {
    renderReport(targets.experiments, experiments.value.experiments, 'Experiment', 'experiment', 'No experiment has been seen yet.');
  } else {
    renderError(targets.experiments, experiments.reason);
  }
  if (stats.status === 'fulfilled') {
    renderStats(targets.events, stats.value);
  } else {
    renderError(targets.events, stats.reason);
  }

  const failed = [content, experiments, stats].filter((r) => r.status === 'rejected').length;
  const range = from || to ? ` (${from || 'start'} to ${to || 'now'})` : '';
  status.textContent = failed
    ? `Could not load ${failed} of 3 reports for ${writeKey}; see the messages below.`
    : `Results for ${writeKey}${range}, as of ${new Date().toLocaleTimeString()}.`;
}

/** Ends the session (a write: it carries the CSRF token) and returns to the sign-in page. */
async function signOut(csrf) {
  try {
    await fetch('/api/session', { method: 'DELETE', headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' });
  } finally {
    location.assign('/dashboard/signin.html');
  }
}

async function init() {
  document.getElementById('writeKey').value = writeKey;
  document.getElementById('from').value = from;
  document.getElementById('to').value = to;
  const csrf = await session();
  if (!csrf) {
    toSignIn();
    return;
  }
  document.getElementById('signout').addEventListener('click', () => signOut(csrf));
  await load();
}

init().catch((e) => {
  document.getElementById('status').textContent = `Could not load results: ${e.message}`;
});
