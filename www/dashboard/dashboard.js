// engagekit results dashboard: reads /api/reports/content, /api/reports/experiments and
// /api/stats for ?writeKey= (default "demo") and renders them as tables, and the event
// volume per day as a chart (Chart.js, bundled by scripts/build.sh into dist/dashboard/)
// with the same numbers in a table beside it. For each survey the site's config defines
// (read from /api/config), /api/reports/nps: the score with its interval, its trend per
// week and the score distribution as charts with tables beside them, and the latest
// comments as text. For each onboarding checklist the config defines,
// /api/reports/checklists: its funnel as a horizontal bar chart, with the visitors,
// conversions and median times in a table. The admin API needs a session: without one the
// page goes to signin.html and comes back.
//
// Every slot, variant, event name and survey comment here was sent by a visitor's browser
// (checklist and step ids come from the config, and are treated as untrusted all the same),
// so all DOM is built with createElement and textContent, never innerHTML: a name like
// "<img src=x onerror=...>" shows as that text. The page's CSP backs this up.

import {
  Chart, BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip,
} from 'chart.js';

// Only the pieces drawn here, so the bundle leaves the rest of Chart.js out.
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip);

const params = new URLSearchParams(location.search);
const writeKey = params.get('writeKey') || 'demo';
const from = params.get('from') || '';
const to = params.get('to') || '';

const percent = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const signedPercent = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' });
const integer = new Intl.NumberFormat();
/** An NPS, from −100 to +100: one decimal, signed (0 has no sign). */
const score = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, signDisplay: 'exceptZero' });
/** When a comment was sent, in UTC like the weeks of the trend (a time style cannot take a
 *  time zone name, so " UTC" is added to the text). */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** Creates an element with optional class and text. */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/** The query string: the writeKey, the date range when `withRange`, then `more`. */
function query(withRange, more = {}) {
  const q = new URLSearchParams({ writeKey });
  if (withRange) {
    if (from) q.set('from', from);
    if (to) q.set('to', to);
  }
  for (const [k, v] of Object.entries(more)) q.set(k, v);
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

async function getJson(path, withRange, more) {
  const res = await fetch(`${path}?${query(withRange, more)}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
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

// ---- NPS surveys -------------------------------------------------------------------

/** The three groups of a 0-10 answer, as the report names them. */
const CATEGORIES = {
  detractor: { one: 'Detractor', many: 'Detractors', scores: '0–6' },
  passive: { one: 'Passive', many: 'Passives', scores: '7–8' },
  promoter: { one: 'Promoter', many: 'Promoters', scores: '9–10' },
};

/** The group of a score, by the same rule as the collector. */
function categoryOf(s) {
  return s >= 9 ? 'promoter' : s >= 7 ? 'passive' : 'detractor';
}

function formatScore(v) {
  return v === null || v === undefined ? '—' : score.format(v);
}

function formatInterval(ci) {
  return Array.isArray(ci) ? `${score.format(ci[0])} to ${score.format(ci[1])}` : '—';
}

/** A page colour, from the CSS variables (light or dark scheme). */
function colour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

let npsCharts = [];

/** A table with a caption, column headers (scope=col) and rows whose first cell is a row
 *  header (scope=row); `numeric` marks the columns aligned as numbers. */
function dataTable(captionText, columns, rows, numeric) {
  const table = el('table');
  table.append(el('caption', captionText));
  const head = el('thead');
  const headRow = el('tr');
  columns.forEach((label, i) => {
    const th = el('th', label, numeric[i] ? 'num' : null);
    th.scope = 'col';
    headRow.append(th);
  });
  head.append(headRow);
  const body = el('tbody');
  for (const cells of rows) {
    const row = el('tr');
    cells.forEach((text, i) => {
      // A cell is text, or an element (e.g. a <time>) put in as it is.
      const node = text instanceof Node;
      const cell = el(i === 0 ? 'th' : 'td', node ? null : text, numeric[i] ? 'num' : null);
      if (node) cell.append(text);
      if (i === 0) cell.scope = 'row';
      row.append(cell);
    });
    body.append(row);
  }
  table.append(head, body);
  const wrap = el('div', null, 'table-wrap');
  wrap.append(table);
  return wrap;
}

/** A chart in a figure: the canvas is an image described in words (`label`), and the
 *  numbers are in a table under a disclosure, its text alternative. */
function chartFigure(className, caption, label, table, config) {
  const figure = el('figure', null, `chart ${className}`);
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  const box = el('div', null, 'chart-box');
  box.append(canvas);
  const details = el('details');
  details.append(el('summary', 'Show the numbers'), table);
  figure.append(el('figcaption', caption), box, details);
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  config.options = { animation: reduced ? false : { duration: 300 }, maintainAspectRatio: false, ...config.options };
  npsCharts.push(new Chart(canvas, config));
  return figure;
}

/** The headline numbers: the score and its interval, answers, response rate, dismissals
 *  (counted apart: they are not in the score) and the three groups. */
function npsHeadline(r) {
  const dl = el('dl', null, 'headline');
  const item = (term, value, note, className) => {
    const group = el('div', null, className);
    const dd = el('dd');
    dd.append(value);
    group.append(el('dt', term), dd);
    if (note) group.append(el('dd', note, 'meta'));
    dl.append(group);
  };
  const value = el('data', formatScore(r.nps), 'nps-value');
  value.value = r.nps === null ? '' : String(r.nps);
  const interval = r.ci95
    ? `95 % interval: ${formatInterval(r.ci95)}`
    : r.answered === 1 ? 'One answer: too few for an interval.' : 'No answers yet.';
  item('Net Promoter Score', value, interval, 'nps-score');
  item('Answered', integer.format(r.answered), `of ${integer.format(r.shown)} shown`);
  item('Response rate', r.responseRate === null ? '—' : percent.format(r.responseRate),
    'answered of shown');
  item('Dismissed without answering', integer.format(r.dismissed), 'counted apart, not in the score');
  for (const [key, c] of Object.entries(CATEGORIES)) {
    const n = r.categories ? r.categories[key] : 0;
    item(`${c.many} (${c.scores})`, integer.format(n),
      r.answered ? `${percent.format(n / r.answered)} of answers` : null, `group ${key}`);
  }
  return dl;
}

/** NPS per week as a line chart, with a table of the same numbers. */
function trendFigure(id, r) {
  const weeks = r.trend || [];
  const answered = weeks.filter((b) => b.nps !== null);
  const caption = `NPS per week, survey ${id} (weeks start on Monday, UTC)`;
  let label = `${caption}: `;
  if (answered.length === 1) {
    label += `one week with answers, ${formatScore(answered[0].nps)} in the week of ${answered[0].start}`;
  } else {
    const [first, last] = [answered[0], answered[answered.length - 1]];
    label += `${integer.format(answered.length)} weeks with answers, from ${formatScore(first.nps)} in the week of ` +
      `${first.start} to ${formatScore(last.nps)} in the week of ${last.start}`;
  }
  const table = dataTable(caption, ['Week starting', 'Shown', 'Answered', 'NPS', '95 % interval'],
    weeks.map((b) => [b.start, integer.format(b.shown), integer.format(b.answered), formatScore(b.nps), formatInterval(b.ci95)]),
    [false, true, true, true, true]);
  return chartFigure('nps-trend', caption, label, table, {
    type: 'line',
    data: {
      labels: weeks.map((b) => b.start),
      datasets: [{
        label: 'NPS',
        data: weeks.map((b) => b.nps),
        borderColor: colour('--focus'),
        backgroundColor: colour('--focus'),
        pointRadius: 4,
        spanGaps: true,
      }],
    },
    options: {
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const b = weeks[ctx.dataIndex];
              return `NPS ${formatScore(b.nps)} (95 %: ${formatInterval(b.ci95)}), ${integer.format(b.answered)} answered`;
            },
          },
        },
      },
      scales: {
        x: { ticks: { color: colour('--muted') }, grid: { display: false } },
        y: {
          min: -100, max: 100,
          ticks: { color: colour('--muted'), stepSize: 50, callback: (v) => score.format(v) },
          grid: { color: colour('--line') },
        },
      },
    },
  });
}

/** Answers per score, 0 to 10, as bars coloured by group, with a table of the same numbers. */
function distributionFigure(id, r) {
  const counts = r.distribution || [];
  const caption = `Answers per score, 0 to 10, survey ${id}`;
  const groups = Object.entries(CATEGORIES)
    .map(([key, c]) => `${integer.format(r.categories[key])} ${c.many.toLowerCase()} (${c.scores})`);
  const label = `${caption}: ${integer.format(r.answered)} answers; ${groups.join(', ')}`;
  const table = dataTable(caption, ['Score', 'Group', 'Answers', 'Share of answers'],
    counts.map((n, s) => [String(s), CATEGORIES[categoryOf(s)].one, integer.format(n),
      r.answered ? percent.format(n / r.answered) : '—']),
    [false, false, true, true]);
  const fill = { detractor: colour('--detractor'), passive: colour('--passive'), promoter: colour('--promoter') };
  return chartFigure('nps-distribution', caption, label, table, {
    type: 'bar',
    data: {
      labels: counts.map((_, s) => String(s)),
      datasets: [{ label: 'Answers', data: counts, backgroundColor: counts.map((_, s) => fill[categoryOf(s)]) }],
    },
    options: {
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => `Score ${items[0].label} (${CATEGORIES[categoryOf(Number(items[0].label))].one.toLowerCase()})`,
          },
        },
      },
      scales: {
        x: { ticks: { color: colour('--muted') }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: colour('--muted'), precision: 0 }, grid: { color: colour('--line') } },
      },
    },
  });
}

/** The latest comments, newest first, as text: each with its group and score (from the
 *  visitor's final answer) and when it was sent. */
function commentList(comments) {
  const list = el('ol', null, 'comments');
  for (const c of comments) {
    const key = Object.prototype.hasOwnProperty.call(CATEGORIES, c.category) ? c.category : categoryOf(c.score);
    const item = el('li', null, `comment ${key}`);
    const meta = el('p', null, 'meta');
    const when = el('time', `${dateTime.format(new Date(c.at))} UTC`);
    when.dateTime = c.at;
    meta.append(el('strong', CATEGORIES[key].one, 'category'), el('span', `, score ${integer.format(c.score)}, `), when);
    item.append(meta, el('p', c.comment, 'comment-text'));
    list.append(item);
  }
  return list;
}

/** One survey's report: a heading, the headline, and (once it has answers) the trend, the
 *  distribution and the comments. */
function surveyBlock(id, result) {
  const block = el('div', null, 'survey');
  block.dataset.survey = id;
  const heading = el('h3');
  heading.append(el('span', 'Survey '), el('strong', id));
  block.append(heading);
  if (result.status === 'rejected') {
    block.append(el('p', result.reason.message, 'error'));
    return block;
  }
  const r = result.value;
  block.append(npsHeadline(r));
  if (r.invalid) {
    block.append(el('p', `${integer.format(r.invalid)} more ${r.invalid === 1 ? 'answer' : 'answers'} could not count ` +
      '(no submission id, or a score that is not a whole number from 0 to 10).', 'meta'));
  }
  if (!r.answered) {
    block.append(el('p', 'No answers yet: the score’s trend, the distribution of scores and the comments ' +
      'appear here after the first answer.', 'empty'));
    return block;
  }
  block.append(el('h4', 'Trend'), trendFigure(id, r));
  block.append(el('h4', 'Score distribution'), distributionFigure(id, r));
  block.append(el('h4', 'Latest comments'));
  const comments = r.comments || [];
  if (comments.length) {
    const n = comments.length;
    block.append(el('p', `${integer.format(n)} ${n === 1 ? 'comment' : 'comments'}, newest first` +
      `${n >= 50 ? ' (at most 50 are listed)' : ''}, in visitors’ own words, each with the group of its score.`, 'meta'));
    block.append(commentList(comments));
  } else {
    block.append(el('p', 'No comments yet.', 'empty'));
  }
  return block;
}

/** The ids of the site's surveys, from its config (`site`: the answer of the admin API's
 *  /api/config), then each one's report. */
async function loadNps(siteConfig) {
  const site = await siteConfig;
  const surveys = site && site.config && site.config.surveys;
  const ids = surveys && typeof surveys === 'object' && !Array.isArray(surveys) ? Object.keys(surveys) : [];
  const reports = await Promise.allSettled(ids.map((id) => getJson('/api/reports/nps', true, { survey: id })));
  return ids.map((id, i) => ({ id, result: reports[i] }));
}

function renderNps(container, surveys) {
  npsCharts.forEach((c) => c.destroy());
  npsCharts = [];
  container.replaceChildren();
  if (surveys.length === 0) {
    container.append(el('p', 'This site’s config defines no survey: add one under “surveys” to see its answers here.', 'empty'));
    return;
  }
  for (const { id, result } of surveys) container.append(surveyBlock(id, result));
}

// ---- Onboarding checklists --------------------------------------------------------

/** Units of a duration, largest first, each with its Intl formatter ("2 hr", "5 min"). */
const DURATION_UNITS = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]]
  .map(([unit, seconds]) => ({
    seconds,
    format: new Intl.NumberFormat(undefined, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 0 }),
  }));
const milliseconds = new Intl.NumberFormat(undefined, { style: 'unit', unit: 'millisecond', unitDisplay: 'short', maximumFractionDigits: 0 });
const unitList = new Intl.ListFormat(undefined, { style: 'narrow', type: 'unit' });

/** A duration in milliseconds for people: its two largest units ("2 hr 2 min", "1 min 30 sec"),
 *  whole seconds from one second up, or "—" without one. */
function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return milliseconds.format(ms);
  let rest = Math.round(ms / 1000);
  const parts = [];
  for (const u of DURATION_UNITS) {
    const n = Math.floor(rest / u.seconds);
    rest -= n * u.seconds;
    if (n > 0 || parts.length) parts.push(n > 0 ? u.format.format(n) : null);
    if (parts.length === 2) break;
  }
  return unitList.format(parts.filter(Boolean));
}

/** The same duration as a <time> element, its exact value an ISO 8601 duration. */
function durationCell(ms) {
  const text = formatDuration(ms);
  if (text === '—') return text;
  const time = el('time', text);
  time.dateTime = `PT${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}S`;
  return time;
}

/** How a stage of the funnel reads (`index`: its position among the steps). */
function stageName(stage, index) {
  switch (stage.stage) {
    case 'eligible': return 'Saw it (launcher or list)';
    case 'shown': return 'Opened the list';
    case 'completed': return 'Completed the checklist';
    default: return `Step ${index}: ${stage.step}`;
  }
}

let checklistCharts = [];

/** The funnel as horizontal bars, one per stage, the canvas described in words. */
function funnelFigure(id, stages, names) {
  const caption = `Funnel of checklist ${id}: visitors per stage`;
  const first = stages[0].visitors;
  const last = stages[stages.length - 1].visitors;
  const figure = el('figure', null, 'chart checklist-funnel');
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${caption}: ${integer.format(first)} saw it, ` +
    `${integer.format(stages[1].visitors)} opened the list, ${integer.format(last)} completed it` +
    (first ? ` (${percent.format(last / first)} of those who saw it)` : ''));
  const box = el('div', null, 'chart-box');
  // A bar per stage, each tall enough for its label.
  box.style.height = `${4 + 2.5 * stages.length}rem`;
  box.append(canvas);
  figure.append(el('figcaption', caption), box);
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  checklistCharts.push(new Chart(canvas, {
    type: 'bar',
    data: {
      labels: names,
      datasets: [{ label: 'Visitors', data: stages.map((s) => s.visitors), backgroundColor: colour('--focus') }],
    },
    options: {
      indexAxis: 'y',
      animation: reduced ? false : { duration: 300 },
      maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const s = stages[ctx.dataIndex];
              const conv = typeof s.conversion === 'number' ? `, ${percent.format(s.conversion)} of the stage before` : '';
              return `${integer.format(s.visitors)} visitors${conv}`;
            },
          },
        },
      },
      scales: {
        x: { beginAtZero: true, ticks: { color: colour('--muted'), precision: 0 }, grid: { color: colour('--line') } },
        y: { ticks: { color: colour('--muted') }, grid: { display: false } },
      },
    },
  }));
  return figure;
}

/** One checklist's report: a heading, then its funnel as a chart and a table, dismissals and
 *  step events the config does not know; or why there is none. */
function checklistBlock(id, result) {
  const block = el('div', null, 'checklist');
  block.dataset.checklist = id;
  const heading = el('h3');
  heading.append(el('span', 'Checklist '), el('strong', id));
  block.append(heading);
  if (result.status === 'rejected') {
    block.append(el('p', result.reason.message, 'error'));
    return block;
  }
  const r = result.value;
  const stages = Array.isArray(r.stages) ? r.stages : [];
  if (!stages.some((s) => s.visitors > 0) && !r.dismissed && !r.unknownSteps) {
    block.append(el('p', 'No visitor has seen this checklist yet: its funnel appears here once it (or its launcher) ' +
      'shows to a visitor.', 'empty'));
    return block;
  }
  let step = 0;
  const names = stages.map((s) => stageName(s, s.stage === 'step' ? ++step : step));
  block.append(funnelFigure(id, stages, names));
  const timed = (s) => s.stage === 'step' || s.stage === 'completed';
  block.append(dataTable(`Funnel of checklist ${id}`,
    ['Stage', 'Visitors', 'Conversion from the stage before', 'Median time from first seen'],
    stages.map((s, i) => [
      names[i],
      integer.format(s.visitors),
      typeof s.conversion === 'number' ? percent.format(s.conversion) : '—',
      timed(s) ? durationCell(s.medianMsFromShown) : '—',
    ]),
    [false, true, true, true]));
  const dismissed = r.dismissed || 0;
  block.append(el('p', `Dismissed by ${integer.format(dismissed)} ${dismissed === 1 ? 'visitor' : 'visitors'}.`, 'meta dismissed'));
  if (r.unknownSteps) {
    const one = r.unknownSteps === 1;
    block.append(el('p', `${integer.format(r.unknownSteps)} more step ${one ? 'completion names a step' : 'completions name steps'} ` +
      `this config does not define (renamed or removed?); ${one ? 'it is' : 'they are'} not in the funnel.`, 'meta unknown-steps'));
  }
  return block;
}

/** The ids of the site's checklists (each an object in its config), then each one's report. */
async function loadChecklists(siteConfig) {
  const site = await siteConfig;
  const lists = site && site.config && site.config.checklists;
  const isObject = (v) => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
  const ids = isObject(lists) ? Object.keys(lists).filter((id) => isObject(lists[id])) : [];
  const reports = await Promise.allSettled(ids.map((id) => getJson('/api/reports/checklists', true, { checklist: id })));
  return ids.map((id, i) => ({ id, result: reports[i] }));
}

function renderChecklists(container, lists) {
  checklistCharts.forEach((c) => c.destroy());
  checklistCharts = [];
  container.replaceChildren();
  if (lists.length === 0) {
    container.append(el('p', 'This site’s config defines no checklist: add one under “checklists” to see its funnel here.', 'empty'));
    return;
  }
  for (const { id, result } of lists) container.append(checklistBlock(id, result));
}

function renderError(container, error) {
  container.replaceChildren(el('p', error.message, 'error'));
}

async function load() {
  const status = document.getElementById('status');
  const targets = {
    content: document.getElementById('content'),
    experiments: document.getElementById('experiments'),
    nps: document.getElementById('nps'),
    checklists: document.getElementById('checklists'),
    events: document.getElementById('events'),
  };
  status.textContent = `Loading results for ${writeKey}…`;
  document.body.classList.add('loading');
  // The site's config, read once: it names the surveys and the checklists to report.
  const site = getJson('/api/config', false);
  const [content, experiments, nps, checklists, stats] = await Promise.allSettled([
    getJson('/api/reports/content', true),
    getJson('/api/reports/experiments', true),
    loadNps(site),
    loadChecklists(site),
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
  if (nps.status === 'fulfilled') {
    renderNps(targets.nps, nps.value);
  } else {
    renderError(targets.nps, nps.reason);
  }
  if (checklists.status === 'fulfilled') {
    renderChecklists(targets.checklists, checklists.value);
  } else {
    renderError(targets.checklists, checklists.reason);
  }
  if (stats.status === 'fulfilled') {
    renderStats(targets.events, stats.value);
  } else {
    renderError(targets.events, stats.reason);
  }

  // The surveys count as one report, failed when the config or any survey's report did.
  const npsFailed = nps.status === 'rejected' || nps.value.some((s) => s.result.status === 'rejected');
  // The checklists likewise.
  const checklistsFailed = checklists.status === 'rejected' || checklists.value.some((c) => c.result.status === 'rejected');
  const failed = [content, experiments, stats].filter((r) => r.status === 'rejected').length +
    (npsFailed ? 1 : 0) + (checklistsFailed ? 1 : 0);
  const range = from || to ? ` (${from || 'start'} to ${to || 'now'})` : '';
  status.textContent = failed
    ? `Could not load ${failed} of 5 reports for ${writeKey}; see the messages below.`
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
