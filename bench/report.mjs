// Turns one run's measurements into bench/RESULTS.md and the README's bench block. Every
// number printed here was measured in that run; every comparison is the ratio of two medians
// of that run (engagekit ÷ peer: below 1× engagekit is smaller or faster).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { summary, num, int, kb, spread, ratio } from './stats.mjs';
import { pageLabel } from './pages.mjs';
import { ROOT } from './vendor.mjs';

const PEERS = ['posthog', 'posthog-raised', 'segment', 'rudderstack', 'growthbook'];
const ROWS = ['engagekit', 'posthog', 'posthog-raised', 'segment', 'rudderstack', 'engagekit-widgets', 'posthog-surveys', 'growthbook', 'none'];
const SHORT = {
  engagekit: 'engagekit', posthog: 'posthog-js', 'posthog-raised': 'posthog-js (limit raised)', segment: 'Segment', rudderstack: 'RudderStack', growthbook: 'GrowthBook', none: 'empty page',
  'engagekit-widgets': 'engagekit, widgets build (page with a content slot)', 'posthog-surveys': 'posthog-js, surveys + flags on',
};
/** For the (b) feature set: which page stands for engagekit and for each peer. */
const B_PAGE = { posthog: 'posthog-surveys', 'posthog-raised': 'posthog-surveys', growthbook: 'growthbook' };

/** Per page name and throttle: arrays of each metric over the rounds. */
function collect(loads) {
  const by = {};
  for (const l of loads) {
    if (l.kind) continue;
    const k = `${l.name}@${l.throttle}`;
    const b = (by[k] ||= { ready: [], task: [], script: [], loadLong: [], loadLongMs: [], heapLoad: [], us: [], usWall: [], calls: [], burstLong: [], burstLongMs: [], burstLongMax: [], heapBurst: [], delivered: [], requests: [], preflights: [], bytes: [], bytesPerEvent: [], requestsPer100: [], gzipped: [], non2xx: [], errors: [], crashed: 0, notReady: 0, isolated: [], resources: {} });
    for (const [name, start, end] of l.resources || []) {
      if (name.endsWith('/favicon.ico')) continue;
      const key = resourceKey(name);
      const r = (b.resources[key] ||= { start: [], end: [] });
      r.start.push(start);
      r.end.push(end);
    }
    if (l.crashed) b.crashed++;
    if (l.readyMs === undefined) { b.notReady++; if (l.error) b.errors.push(l.error); continue; }
    if (l.error) b.errors.push(l.error);
    b.isolated.push(l.isolated);
    b.ready.push(l.readyMs);
    b.task.push(l.taskMs);
    b.script.push(l.scriptMs);
    b.loadLong.push(l.loadLong.count);
    b.loadLongMs.push(l.loadLong.ms);
    b.heapLoad.push(l.heapLoad / 1048576);
    if (l.burst) {
      b.us.push(l.burst.usPerCall);
      b.usWall.push(l.burst.usWallPerCall);
      b.calls.push(l.burst.calls);
      b.burstLong.push(l.burst.longCount);
      b.burstLongMs.push(l.burst.longMs);
      b.burstLongMax.push(l.burst.longMax);
      b.target = l.burst.target;
    }
    if (l.heapBurst !== undefined) b.heapBurst.push(l.heapBurst / 1048576);
    if (l.delivery) {
      b.delivered.push(l.delivery.delivered);
      b.requests.push(l.delivery.requests);
      b.preflights.push(l.delivery.preflights);
      b.bytes.push(l.delivery.bytes);
      if (l.delivery.delivered > 0) {
        b.bytesPerEvent.push(l.delivery.bytes / l.delivery.delivered);
        b.requestsPer100.push((l.delivery.requests * 100) / l.delivery.delivered);
      }
      b.gzipped.push(l.delivery.gzipped ?? 0);
      b.non2xx.push(l.delivery.non2xx ?? 0);
      b.sent = l.delivery.sent;
    }
  }
  const out = {};
  for (const [k, b] of Object.entries(by)) {
    out[k] = { raw: b };
    for (const [m, v] of Object.entries(b)) if (Array.isArray(v) && typeof v[0] === 'number') out[k][m] = summary(v);
  }
  return out;
}

/** A short name for a fetched URL: its path without query, ids and tokens shortened. */
function resourceKey(url) {
  try {
    const u = new URL(url);
    return u.pathname.replace(/^\/(ph|seg|rs|gb)\//, '/').replace(/\/v1\/config\/[\w-]+/, '/v1/config/{key}').replace(/\/array\/[\w-]+\//, '/array/{token}/').replace(/\/projects\/[\w-]+\//, '/projects/{key}/').replace(/\/features\/[\w-]+/, '/features/{key}');
  } catch {
    return url;
  }
}

function queueTable(loads) {
  const by = {};
  for (const l of loads) {
    if (l.kind !== 'queue' || !l.queue) continue;
    const e = (by[l.name] ||= {});
    for (const q of l.queue) {
      const s = (e[q.level] ||= { single: [], batch: [] });
      s.single.push(...q.single);
      s.batch.push(q.batchUs);
    }
  }
  return by;
}

const lower = (a, b) => a < b; // lower is better for every metric compared here

function verdict(ek, peer, { higherBetter = false } = {}) {
  if (!Number.isFinite(ek) || !Number.isFinite(peer)) return '—';
  const r = ratio(ek, peer);
  const better = higherBetter ? ek > peer : lower(ek, peer);
  const tie = ek === peer;
  return tie ? `${r} (equal)` : better ? r : `${r} **engagekit loses**`;
}

function sizeTable(rows, set) {
  const ek = rows.find((r) => r.set === set && r.id === 'engagekit');
  const lines = ['| library | what the page fetches | files | raw | gzip -9 | brotli | engagekit ÷ this (gzip) |', '|---|---|---|---:|---:|---:|---|'];
  for (const r of rows.filter((x) => x.set === set)) {
    const files = r.parts.map((p) => `\`${path.basename(p.file)}\``).join(' + ') || '—';
    const cmp = r.id === 'engagekit' ? '' : r.na ? '—' : verdict(ek.gzip, r.gzip);
    lines.push(`| ${r.lib} | ${r.what}${r.checked === false ? ' (the browser run fetched other files: see below)' : ''} | ${files} | ${r.na ? '—' : kb(r.raw)} | ${r.na ? '—' : kb(r.gzip)} | ${r.na ? '—' : kb(r.brotli)} | ${cmp} |`);
  }
  return lines.join('\n');
}

function browserTable(stats, throttle, settings) {
  const head = '| library | ready (ms) | main thread during load (ms): tasks / script | long tasks during load | JS heap after load (MB) | µs per `track`, inside the call | µs per `track`, wall incl. deferred work | calls made (of ' + int(settings.burst) + ') | long tasks during and 1.5 s after the burst: count / total ms | JS heap after the burst (MB) |';
  const lines = [head, '|---|---|---|---|---|---|---|---|---|---|'];
  for (const name of ROWS) {
    const s = stats[`${name}@${throttle}`];
    if (!s) continue;
    const r = s.raw;
    const tracks = r.us.length > 0;
    const notes = [];
    if (r.notReady) notes.push(`not ready in ${r.notReady} load(s)`);
    if (r.crashed) notes.push(`tab crashed in ${r.crashed} load(s)`);
    lines.push(`| ${SHORT[name]}${notes.length ? ` (${notes.join('; ')})` : ''} | ${spread(s.ready, int)} | ${spread(s.task, int)} / ${spread(s.script, int)} | ${spread(s.loadLong, int)} | ${spread(s.heapLoad)} | ${tracks ? spread(s.us) : '—'} | ${tracks ? spread(s.usWall) : '—'} | ${tracks ? spread(s.calls, int) : '—'} | ${tracks ? `${spread(s.burstLong, int)} / ${spread(s.burstLongMs, int)}` : '—'} | ${s.heapBurst?.n ? spread(s.heapBurst) : '—'} |`);
  }
  return lines.join('\n');
}

function deliveryTable(stats) {
  const lines = ['| library | events delivered (of sent) | requests | CORS preflights | bytes sent (headers + bodies) | bytes per event delivered | gzip bodies | answers not 2xx |', '|---|---|---|---|---|---|---|---|'];
  for (const name of ['engagekit', 'posthog', 'posthog-raised', 'segment', 'rudderstack']) {
    const s = stats[`${name}@1`];
    if (!s || !s.delivered?.n) continue;
    lines.push(`| ${SHORT[name]} | ${spread(s.delivered, int)} of ${int(s.raw.sent)} | ${spread(s.requests, int)} | ${spread(s.preflights, int)} | ${spread(s.bytes, (x) => kb(x))} | ${spread(s.bytesPerEvent, int)} | ${spread(s.gzipped, int)} | ${spread(s.non2xx, int)} |`);
  }
  return lines.join('\n');
}

function summaryTable(sizes, stats, settings) {
  const t = settings.throttle;
  const peers = ['posthog', 'posthog-raised', 'segment', 'rudderstack', 'growthbook'];
  const sizeOf = (set, id) => sizes.find((r) => r.set === set && r.id === id);
  const sizeA = { posthog: 'posthog', 'posthog-raised': 'posthog', segment: 'segment', rudderstack: 'rudderstack' };
  const sizeB = { posthog: 'posthog', 'posthog-raised': 'posthog', segment: 'segment+growthbook', rudderstack: 'rudderstack+growthbook', growthbook: 'growthbook' };
  const m = (name, th, key) => stats[`${name}@${th}`]?.[key]?.median;
  const b = (p, th, key) => [m('engagekit-widgets', th, key), B_PAGE[p] ? m(B_PAGE[p], th, key) : NaN];
  const rows = [
    ['download, tracking (gzip)', (p) => [sizeOf('a', 'engagekit')?.gzip, sizeA[p] && sizeOf('a', sizeA[p])?.gzip]],
    ['download, tracking + surveys + flags (gzip)', (p) => [sizeOf('b', 'engagekit')?.gzip, sizeB[p] && sizeOf('b', sizeB[p])?.gzip]],
    ['time to ready, unthrottled', (p) => [m('engagekit', 1, 'ready'), p === 'growthbook' ? NaN : m(p, 1, 'ready')]],
    [`time to ready, CPU ${t}×`, (p) => [m('engagekit', t, 'ready'), p === 'growthbook' ? NaN : m(p, t, 'ready')]],
    ['main-thread time during load, unthrottled', (p) => [m('engagekit', 1, 'task'), p === 'growthbook' ? NaN : m(p, 1, 'task')]],
    [`main-thread time during load, CPU ${t}×`, (p) => [m('engagekit', t, 'task'), p === 'growthbook' ? NaN : m(p, t, 'task')]],
    ['JS heap after load', (p) => [m('engagekit', 1, 'heapLoad'), p === 'growthbook' ? NaN : m(p, 1, 'heapLoad')]],
    ['(b) time to ready, unthrottled: widgets build vs surveys + flags / flags', (p) => b(p, 1, 'ready')],
    [`(b) time to ready, CPU ${t}×`, (p) => b(p, t, 'ready')],
    ['(b) main-thread time during load, unthrottled', (p) => b(p, 1, 'task')],
    [`(b) main-thread time during load, CPU ${t}×`, (p) => b(p, t, 'task')],
    ['(b) JS heap after load', (p) => b(p, 1, 'heapLoad')],
    ['µs per `track`, wall, unthrottled', (p) => [m('engagekit', 1, 'usWall'), m(p, 1, 'usWall')]],
    [`µs per \`track\`, wall, CPU ${t}×`, (p) => [m('engagekit', t, 'usWall'), m(p, t, 'usWall')]],
    ['bytes sent per event delivered', (p) => [m('engagekit', 1, 'bytesPerEvent'), m(p, 1, 'bytesPerEvent')]],
    ['requests per 100 events delivered', (p) => [m('engagekit', 1, 'requestsPer100'), m(p, 1, 'requestsPer100')]],
    [`events delivered of ${int(settings.deliver)} (higher is better)`, (p) => [m('engagekit', 1, 'delivered'), m(p, 1, 'delivered')], { higherBetter: true }],
  ];
  const lines = [`| engagekit ÷ peer (medians) | ${peers.map((p) => SHORT[p]).join(' | ')} |`, `|---|${peers.map(() => '---').join('|')}|`];
  for (const [label, f, opt] of rows) {
    lines.push(`| ${label} | ${peers.map((p) => { const [x, y] = f(p); return verdict(x, y, opt); }).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Lines naming each comparison engagekit loses, with both numbers and, where this run
 *  measured something that explains it, that measurement. */
function losses(sizes, stats, settings, { brief = false } = {}) {
  const out = [];
  const t = settings.throttle;
  const m = (name, th, key) => stats[`${name}@${th}`]?.[key]?.median;
  const fmtMs = (x) => `${int(x)} ms`;
  const timeline = (name, th) => {
    const r = stats[`${name}@${th}`]?.raw.resources || {};
    const parts = Object.entries(r).map(([k, v]) => [k, summary(v.start).median, summary(v.end).median]).sort((x, y) => x[1] - y[1]);
    return parts.length ? `its fetches (median start–end): ${parts.map(([k, a, e]) => `\`${k}\` ${int(a)}–${int(e)} ms`).join(', ')}` : '';
  };
  const why = {
    ready: (name, th) => timeline(name, th),
    task: (name, th) => `tasks ${int(m(name, th, 'task'))} ms of which script ${int(m(name, th, 'script'))} ms; the empty page alone takes ${int(m('none', th, 'task'))} ms`,
  };
  const checks = [
    ['time to ready, unthrottled', 'engagekit', 1, 'ready', fmtMs, ['posthog', 'posthog-raised', 'segment', 'rudderstack']],
    [`time to ready, CPU ${t}×`, 'engagekit', t, 'ready', fmtMs, ['posthog', 'posthog-raised', 'segment', 'rudderstack']],
    ['main-thread time during load, unthrottled', 'engagekit', 1, 'task', fmtMs, ['posthog', 'posthog-raised', 'segment', 'rudderstack']],
    [`main-thread time during load, CPU ${t}×`, 'engagekit', t, 'task', fmtMs, ['posthog', 'posthog-raised', 'segment', 'rudderstack']],
    ['JS heap after load', 'engagekit', 1, 'heapLoad', (x) => `${num(x, 2)} MB`, ['posthog', 'posthog-raised', 'segment', 'rudderstack']],
    ['(b) time to ready, unthrottled', 'engagekit-widgets', 1, 'ready', fmtMs, ['posthog-surveys', 'growthbook']],
    [`(b) time to ready, CPU ${t}×`, 'engagekit-widgets', t, 'ready', fmtMs, ['posthog-surveys', 'growthbook']],
    ['(b) main-thread time during load, unthrottled', 'engagekit-widgets', 1, 'task', fmtMs, ['posthog-surveys', 'growthbook']],
    [`(b) main-thread time during load, CPU ${t}×`, 'engagekit-widgets', t, 'task', fmtMs, ['posthog-surveys', 'growthbook']],
    ['(b) JS heap after load', 'engagekit-widgets', 1, 'heapLoad', (x) => `${num(x, 2)} MB`, ['posthog-surveys', 'growthbook']],
    ['µs per track (wall), unthrottled', 'engagekit', 1, 'usWall', (x) => `${num(x)} µs`, PEERS],
    [`µs per track (wall), CPU ${t}×`, 'engagekit', t, 'usWall', (x) => `${num(x)} µs`, PEERS],
    ['bytes sent per event delivered', 'engagekit', 1, 'bytesPerEvent', (x) => `${int(x)} B`, PEERS],
    ['requests per 100 events delivered', 'engagekit', 1, 'requestsPer100', (x) => num(x, 2), PEERS],
  ];
  for (const [label, ek, th, key, fmt, peers] of checks) {
    const mine = m(ek, th, key);
    const worse = peers.filter((p) => Number.isFinite(m(p, th, key)) && Number.isFinite(mine) && m(p, th, key) < mine);
    if (!worse.length) continue;
    let reason = why[key]?.(ek, th) || '';
    if (key === 'bytesPerEvent') {
      const gz = (n) => `${int(m(n, 1, 'gzipped'))} of ${int(m(n, 1, 'requests'))}`;
      reason = `gzip bodies: engagekit ${gz('engagekit')}, ${worse.map((p) => `${SHORT[p]} ${gz(p)}`).join(', ')}`;
    }
    out.push(`- ${label}: engagekit ${fmt(mine)}; ${worse.map((p) => `${SHORT[p]} ${fmt(m(p, th, key))}`).join(', ')}.${reason && !brief ? ` Measured alongside: ${reason}.` : ''}`);
  }
  const dl = m('engagekit', 1, 'delivered');
  const more = PEERS.filter((p) => m(p, 1, 'delivered') > dl);
  if (more.length) out.push(`- events delivered: engagekit ${int(dl)}; ${more.map((p) => `${SHORT[p]} ${int(m(p, 1, 'delivered'))}`).join(', ')}.`);
  for (const set of ['a', 'b']) {
    const ek = sizes.find((r) => r.set === set && r.id === 'engagekit');
    const smaller = sizes.filter((r) => r.set === set && r.id !== 'engagekit' && !r.na && r.gzip < ek.gzip);
    if (!smaller.length) continue;
    const parts = brief ? '' : ` (${ek.parts.map((p) => `\`${path.basename(p.file)}\` ${kb(p.gzip)}`).join(' + ')})`;
    out.push(`- download ${set === 'a' ? '(tracking)' : '(tracking + surveys + flags)'}: engagekit ${kb(ek.gzip)} gzip${parts}; ${smaller.map((r) => `${r.lib}${r.id.includes('core') ? ' (default export without its CDN plugins)' : ''} ${kb(r.gzip)}`).join(', ')}.`);
  }
  return out;
}

function timelineSection(stats, settings) {
  const lines = ['| page | CPU | what it fetched: median start–end (ms from navigation start) | ready |', '|---|---|---|---|'];
  for (const th of [1, settings.throttle]) {
    for (const name of ROWS) {
      const s = stats[`${name}@${th}`];
      if (!s) continue;
      const parts = Object.entries(s.raw.resources).map(([k, v]) => [k, summary(v.start).median, summary(v.end).median]).sort((x, y) => x[1] - y[1]);
      lines.push(`| ${SHORT[name]} | ${th}× | ${parts.map(([k, a, e]) => `\`${k}\` ${int(a)}–${int(e)}`).join(', ') || '—'} | ${int(s.ready?.median)} |`);
    }
  }
  return lines.join('\n');
}

function queueSection(loads) {
  const q = queueTable(loads);
  const names = Object.keys(q);
  if (!names.length) return '_not measured in this run_';
  const levels = [...new Set(names.flatMap((n) => Object.keys(q[n]).map(Number)))].sort((a, b) => a - b);
  const lines = [`| library | ${levels.map((l) => `queue ${int(l)}: µs per call, median of single calls (IQR)`).join(' | ')} | ${levels.map((l) => `queue ${int(l)}: µs per call in a batch of 20 + next timer`).join(' | ')} |`, `|---|${levels.map(() => '---').join('|')}|${levels.map(() => '---').join('|')}|`];
  for (const n of names) {
    const cells = levels.map((l) => { const s = q[n][l] && summary(q[n][l].single); return s ? `${num(s.median)} (${num(s.q1)}–${num(s.q3)})` : '—'; });
    const batch = levels.map((l) => (q[n][l] ? num(summary(q[n][l].batch).median) : '—'));
    lines.push(`| ${SHORT[n]} | ${cells.join(' | ')} | ${batch.join(' | ')} |`);
  }
  const ek = q.engagekit;
  const ph = q['posthog-raised'];
  if (ek && ph) {
    const r = levels.map((l) => (ek[l] && ph[l] ? `queue ${int(l)}: ${verdict(summary(ek[l].single).median, summary(ph[l].single).median)}` : null)).filter(Boolean);
    lines.push('', `engagekit ÷ posthog-js (single calls, medians): ${r.join('; ')}.`);
  }
  return lines.join('\n');
}

function filesSection(browser) {
  const lines = ['| page | files fetched (site server and sink) | requests to hosts other than 127.0.0.1 | console errors (first 2) |', '|---|---|---|---|'];
  for (const l of browser.loads) {
    if (l.round !== 0 || l.throttle !== 1 || l.kind === 'queue') continue;
    const errs = (l.errors || []).slice(0, 2).map((e) => `\`${e.replace(/[|`]/g, ' ').slice(0, 100)}\``).join(', ') || 'none';
    lines.push(`| ${pageLabel(l.name)} | ${l.files.map((f) => `\`${path.relative(ROOT, f)}\``).join(', ') || '—'} | ${l.external?.length ? l.external.map((u) => `\`${u}\``).join(', ') : 'none'} | ${errs} |`);
  }
  const all = browser.loads.filter((l) => l.isolated !== undefined && l.isolated !== null);
  const iso = all.filter((l) => l.isolated === true).length;
  lines.push('', `Cross-origin isolated (\`self.crossOriginIsolated\`, so timers have 5 µs resolution): ${iso} of ${all.length} loads.`);
  const failed = browser.loads.filter((l) => l.error || l.crashed);
  if (failed.length) lines.push(`Loads with a problem: ${failed.map((l) => `${l.name} ${l.throttle}× round ${l.round}: ${l.crashed ? 'tab crashed' : ''}${l.error || ''}`).join('; ')}.`);
  return lines.join('\n');
}

function collectorSection(col, native) {
  if (!col) return '_not measured in this run_';
  const lines = ['| connections | events/s stored | requests/s (2xx) | latency p50 | p90 | p99 | max | non-2xx | errors |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const s of col.steps) lines.push(`| ${s.connections} | ${int(s.eventsPerSec)} | ${int(s.requestsPerSec)} | ${num(s.p50, 2)} ms | ${num(s.p90, 2)} ms | ${num(s.p99, 2)} ms | ${num(s.max)} ms | ${int(s.non2xx)} | ${int(s.errors + s.timeouts)} |`);
  const store = storeCeiling(native);
  const best = Math.max(...col.steps.map((s) => s.eventsPerSec));
  if (store) {
    const at20 = store.find((s) => s.batch === 20);
    const top = store.reduce((a, s) => (s.perSec > a.perSec ? s : a), store[0]);
    lines.push('', `SQLite through the collector's store, no HTTP (collector/benches/store.rs, same machine, same run): ${store.map((s) => `${int(s.batch)} per transaction ${int(s.perSec)} events/s`).join('; ')}.`);
    if (at20) lines.push(`The HTTP collector's best (${int(best)} events/s, ${col.batch} events per request) is ${ratio(best, at20.perSec)} of the store alone at ${col.batch} events per transaction and ${ratio(best, top.perSec)} of the store's ceiling (${int(top.perSec)} events/s at ${int(top.batch)} per transaction).`);
  }
  return lines.join('\n');
}

function storeCeiling(native) {
  const r = native?.find((n) => n.command.includes('--bench store') && !n.failed);
  if (!r) return null;
  const out = [];
  for (const m of r.stdout.matchAll(/store:\s+(\d+) events per transaction:\s+(\d+) events\/s/g)) out.push({ batch: Number(m[1]), perSec: Number(m[2]) });
  return out.length ? out : null;
}

function nativeSection(native) {
  if (!native?.length) return '_not run_';
  return native.map((r) => {
    const head = `### \`${r.command}\`${r.failed ? ` (FAILED: ${r.failed})` : ''}`;
    const body = r.failed ? r.tail : r.stdout;
    return `${head}\n\n\`\`\`text\n${body.trim()}\n\`\`\``;
  }).join('\n\n');
}

export function renderResults({ info, settings, browser, sizes, native, collector, seconds }) {
  const stats = browser ? collect(browser.loads) : {};
  const t = settings.throttle;
  const lossLines = browser ? losses(sizes, stats, settings) : [];
  const ver = info.packages.map(([n, v]) => `${n} ${v}`).join(', ');
  return `# engagekit benchmarks

Written by \`npm run bench${settings.quick ? ' -- --quick' : ''}\` (bench/run.mjs): every number below was measured in this run,
and every comparison is the ratio of two medians from it (engagekit ÷ peer: under 1× engagekit is
smaller or faster). ${settings.quick ? '**This is a quick smoke run (one round, fewer calls): do not quote it.**' : ''}

| | |
|---|---|
| date | ${info.date} |
| machine | ${info.cpu}, ${info.cores} cores; load average ${info.loadStart} at the start, ${info.loadEnd} at the end |
| browser | Chromium ${browser?.chromium || '—'} (headless, \`${info.chromiumPath}\`, driven by playwright-core ${info.playwright}) |
| toolchain | ${info.rustc}; node ${info.node} |
| engagekit | commit \`${info.commit}\`${info.dirty ? ' plus uncommitted changes in the working tree' : ''} |
| compared (npm) | ${ver} |
| run | ${settings.quick ? 'quick' : 'full'}: ${settings.rounds} unthrottled round(s), ${settings.throttledRounds} round(s) at CPU ${t}×, ${int(settings.burst)}-call bursts (stopped after ${settings.burstCapMs / 1000} s), ${int(settings.deliver)} events for the wire; ${Math.round(seconds)} s in all |

The machine is shared: figures taken while other work (builds) ran on its 2 cores are noisy;
the load averages above say how busy it was.

## Summary: engagekit ÷ each peer

${browser ? summaryTable(sizes, stats, settings) : '_browser layer not run_'}

Where engagekit loses in this run:
${lossLines.length ? lossLines.join('\n') : '- nowhere among the comparisons above.'}

## 1. Download size

What a page downloads to get each feature set: the main script and every code file the
browser was seen fetching for it in this run's first unthrottled round (JSON config and
settings responses not counted), compressed here with node:zlib (gzip level 9, brotli
quality 11).

(a) Tracking

${sizeTable(sizes, 'a')}

(b) Tracking + surveys + flags / personalisation

${sizeTable(sizes, 'b')}

## 2. In headless Chromium

Each library on the same page (\`bench/pages.mjs\`), served from 127.0.0.1 cross-origin isolated
(COOP + COEP, so \`performance.now()\` has 5 µs resolution), each load in a fresh browser
context, the libraries' order rotating every round. Peers talk to a local sink that answers
200 and counts; engagekit talks to the real collector (\`target/release/engagekit-collector\`)
through a counting pass-through, and its delivered events are counted in the collector's
SQLite. Cells: median (min–max) over the rounds.

- ready: \`performance.now()\` (navigation start = 0) when engagekit.ready / PostHog's \`loaded\` /
  analytics.ready / rudderanalytics.ready / GrowthBook's \`init()\` calls back (\`load\` for the empty page);
- main thread during load: CDP \`Performance.getMetrics\` TaskDuration / ScriptDuration, from
  navigation to 1 s after ready (the empty page is the baseline);
- µs per \`track\`: ${int(settings.burst)} calls with the same properties, in tasks of 50, stopped
  after ${settings.burstCapMs / 1000} s of real time (the slowest peers make fewer calls; their
  per-call cost grows with their queues, so the cap flatters them). "Inside the call" times the
  calls; "wall" is the burst's elapsed time per call, which also counts the work a library
  defers to later tasks (sending, persisting);
- JS heap: \`JSHeapUsedSize\` after a forced GC.

### Unthrottled (${settings.rounds} rounds)

${browser ? browserTable(stats, 1, settings) : '_not run_'}

### CPU throttled ${t}× through CDP (\`Emulation.setCPUThrottlingRate\`, ${settings.throttledRounds} rounds)

${browser ? browserTable(stats, t, settings) : '_not run_'}

### Requests and bytes on the wire for ${int(settings.deliver)} events (unthrottled)

${int(settings.deliver)} \`track\` calls in one loop after ready, then everything sent until all were
delivered and 1 s passed quietly, or nothing moved for 6 s (30 s at most). Bytes: request line,
headers and body as the server received them, CORS preflights included. Each library uses its
default batching and compression (PostHog gzips its batches; the page view sent meanwhile is
included).

${browser ? deliveryTable(stats) : '_not run_'}

### µs per call at queue lengths 0, 100 and 1,000 (context offline, unthrottled)

The queue was filled with the browser context offline (nothing can be sent), then 20 calls
were timed one by one (one task each), then 20 in one batch followed by a zero-delay timer
(which adds deferred work). posthog-js with its rate limit raised (it would drop the calls
otherwise). Pooled over ${settings.rounds} round(s).

${browser ? queueSection(browser.loads) : '_not run_'}

### What each page fetched, and when

Resource Timing entries (ms from navigation start, medians over the rounds), beside ready:
what a library's ready waits for.

${browser ? timelineSection(stats, settings) : '_not run_'}

### Files fetched and outside requests (first unthrottled round)

${browser ? filesSection(browser) : '_not run_'}

## 3. Native benchmarks (one core)

${nativeSection(native)}

## 4. The collector under load

\`target/release/engagekit-collector\` on a fresh SQLite file, \`POST /v1/batch\` from autocannon
(in the bench's Node process, on the same 2 cores) for ${settings.loadSeconds} s per step, each
request ${collector?.batch ?? 20} browser-shaped events (${int(collector?.steps?.[0]?.bodyBytes)} bytes) with unique messageIds;
"events/s stored" counts the rows that reached SQLite. Latency: every 2xx response, in ms.

${collectorSection(collector, native)}

## Fairness notes

- posthog-js: in headless Chromium it treats \`navigator.webdriver\` as a bot and drops everything,
  so every PostHog page sets \`opt_out_useragent_filter: true\`. Its client rate limit (10 events/s,
  burst 100) drops most of a burst and logs one console warning per dropped call (under
  automation each console message is also sent to the driver, a cost a visitor's browser may
  not pay): it is reported both ways, with its defaults and with \`rate_limiting:
  {events_per_second: 100000, events_burst_limit: 100000}\`. The sink serves its remote config (no surveys, recordings or
  autocapture extras for the tracking page; \`supportedCompression: gzip, gzip-js\` as PostHog
  serves it) and its lazily loaded extensions from \`node_modules/posthog-js/dist\`. It fetches
  \`surveys.js\` by default even when the config has no surveys; \`disable_surveys: true\` avoids
  that (both sizes are in the table).
- @segment/analytics-next: the standalone build (\`dist/umd/standalone.js\`, what the snippet
  loads), with \`analytics._cdn\` and the \`Segment.io\` \`apiHost\` pointed at the sink, which
  serves its settings (\`/v1/projects/<key>/settings\`) and its code-split chunks. Default
  delivery: one request per event.
- @rudderstack/analytics-js: its default export fetches its plugins from RudderStack's CDN at run
  time and those files are not in the npm package, so the pages use the package's \`bundled\`
  export (plugins built in), minified with esbuild as a site's build would; \`configUrl\` points at
  the sink, which serves the source config. Its size row "default export alone" is a lower
  bound without the plugins. Its default queue holds at most 100 events (\`queueOptions.maxItems\`
  in its defaults), which bounds what a burst can deliver: measured as is, with its defaults.
- @growthbook/growthbook: flags and experiments only (no tracking), \`dist/bundles/index.min.js\`,
  features served by the sink; ready = \`init()\` resolved, after which two flags are evaluated.
- engagekit: the README snippet, the loader from \`dist/\` on the page's origin, \`init("${browser?.writeKeys?.tracking || 'bench'}", {host})\`
  with the collector's config for that writeKey at the documented tracking defaults (flushAt 20,
  flushIntervalMs 5000, page views on, clicks off). The (b) size and its check load use the
  widgets build (a page with a content slot, writeKey "${browser?.writeKeys?.widgets || 'bench-widgets'}").
- The empty page's \`track\` is a no-op: its burst row is the harness's own cost per call (the
  loop and the task switches between chunks of 50), to read the others against.
- Everything is served uncompressed from 127.0.0.1, so times include no network or decompression.
`;
}

/** The README block: headline numbers and the command. */
export function renderReadmeBlock({ info, settings, browser, sizes, collector, native, seconds }) {
  const stats = collect(browser.loads);
  const t = settings.throttle;
  const m = (name, th, key) => stats[`${name}@${th}`]?.[key]?.median;
  const size = (set, id) => sizes.find((r) => r.set === set && r.id === id);
  const cols = ['engagekit', 'posthog', 'segment', 'rudderstack', 'growthbook'];
  const sizeA = { engagekit: 'engagekit', posthog: 'posthog', segment: 'segment', rudderstack: 'rudderstack' };
  const sizeB = { engagekit: 'engagekit', posthog: 'posthog', segment: 'segment+growthbook', rudderstack: 'rudderstack+growthbook', growthbook: 'growthbook' };
  const cell = (v, f) => (Number.isFinite(v) ? f(v) : '—');
  const row = (label, f) => `| ${label} | ${cols.map(f).join(' | ')} |`;
  const store = storeCeiling(native);
  const best = collector ? collector.steps.reduce((a, s) => (s.eventsPerSec > a.eventsPerSec ? s : a), collector.steps[0]) : null;
  const lossLines = losses(sizes, stats, settings, { brief: true });
  return `<!-- bench:start -->
Side by side, \`npm run bench\` (${settings.quick ? 'quick run' : `${settings.rounds} rounds, ${settings.throttledRounds} at CPU ${t}×`}, ${info.date.slice(0, 10)}, commit \`${info.commit.slice(0, 7)}\`${info.dirty ? '+changes' : ''}, Chromium ${browser.chromium}, ${info.cores} cores;
medians; every figure and the full tables in [bench/RESULTS.md](bench/RESULTS.md)):

| | engagekit | posthog-js | Segment | RudderStack | GrowthBook |
|---|---|---|---|---|---|
${row('download, tracking (gzip)', (c) => cell(size('a', sizeA[c])?.gzip, kb))}
${row('download, + surveys + flags (gzip)', (c) => (c === 'engagekit' ? `${kb(size('b', 'engagekit').gzip)} (with the survey card)` : c === 'segment' || c === 'rudderstack' ? `${kb(size('b', sizeB[c]).gzip)} (with GrowthBook, no surveys)` : c === 'growthbook' ? `${kb(size('b', 'growthbook').gzip)} (flags only)` : kb(size('b', sizeB[c]).gzip)))}
${row('time to ready, tracking, unthrottled / 4×', (c) => (c === 'growthbook' ? '—' : `${cell(m(c, 1, 'ready'), int)} / ${cell(m(c, t, 'ready'), int)} ms`))}
${row('time to ready, + flags/personalisation, unthrottled / 4×', (c) => { const p = { engagekit: 'engagekit-widgets', posthog: 'posthog-surveys', growthbook: 'growthbook' }[c]; return p ? `${cell(m(p, 1, 'ready'), int)} / ${cell(m(p, t, 'ready'), int)} ms` : '—'; })}
${row('main thread during load, tracking, unthrottled / 4×', (c) => (c === 'growthbook' ? `${cell(m(c, 1, 'task'), int)} / ${cell(m(c, t, 'task'), int)} ms (flags)` : `${cell(m(c, 1, 'task'), int)} / ${cell(m(c, t, 'task'), int)} ms`))}
${row('µs per `track` (wall), unthrottled / 4×', (c) => (c === 'growthbook' ? '—' : `${cell(m(c, 1, 'usWall'), num)} / ${cell(m(c, t, 'usWall'), num)}`))}
${row(`${int(settings.deliver)} \`track\` calls: events delivered, requests, bytes per event`, (c) => (c === 'growthbook' ? '—' : `${cell(m(c, 1, 'delivered'), int)}, ${cell(m(c, 1, 'requests'), int)} req, ${cell(m(c, 1, 'bytesPerEvent'), int)} B`))}

posthog-js with its default rate limit; with it raised: ${num(m('posthog-raised', 1, 'usWall'))} µs per \`track\`, ${int(m('posthog-raised', 1, 'delivered'))} of ${int(settings.deliver)} delivered.
${best ? `Collector: ${int(best.eventsPerSec)} events/s stored at ${best.connections} connections (p50 ${num(best.p50, 1)} ms, p99 ${num(best.p99, 1)} ms), 20 events per request${store ? `; SQLite through its store alone: ${int(store.find((s) => s.batch === 20)?.perSec)} events/s at 20 per transaction, ${int(Math.max(...store.map((s) => s.perSec)))} at best` : ''}.` : ''}
${lossLines.length ? `Where engagekit loses:\n${lossLines.join('\n')}` : 'engagekit loses none of these comparisons in this run.'}

Where engagekit loses, RESULTS.md also gives what was measured beside it (what its ready waited for, gzip or not).
Run it: \`npm run bench\` (this ${settings.quick ? 'quick ' : ''}run took ${Math.round(seconds / 60)} min on this machine; \`npm run bench -- --quick\` for a smoke run).
<!-- bench:end -->`;
}

/** Replaces (or adds, at the end of the "## Numbers" section) the README's bench block. */
export function updateReadme(block) {
  const file = path.join(ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('<!-- bench:start -->');
  const end = text.indexOf('<!-- bench:end -->');
  let next;
  if (start >= 0 && end > start) {
    next = text.slice(0, start) + block + text.slice(end + '<!-- bench:end -->'.length);
  } else {
    const numbers = text.indexOf('\n## Numbers');
    if (numbers < 0) throw new Error('README.md has no "## Numbers" section');
    const after = text.indexOf('\n## ', numbers + 1);
    const at = after < 0 ? text.length : after;
    next = text.slice(0, at).replace(/\s*$/, '\n\n') + block + '\n' + text.slice(at);
  }
  writeFileSync(file, next);
}
