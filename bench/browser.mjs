// The browser layer: each library on the identical bench page in headless Chromium
// (playwright-core), a fresh browser context per page load (empty cache and storage),
// libraries alternating within each round (the order rotates every round), unthrottled and
// with the CPU throttled 4× through CDP. Per load:
//   ready       performance.now() when the library says it is ready (navigation start = 0);
//   main thread CDP Performance.getMetrics TaskDuration and ScriptDuration, from navigation
//               to 1 s after ready; long tasks (PerformanceObserver 'longtask') in that span;
//   heap        JSHeapUsedSize after a forced GC, after load and after the burst;
//   delivery    1,000 `track` calls, then requests and bytes (sink / counting proxy) until
//               every event is delivered or nothing moves for a while; events delivered read
//               from the sink, or from the collector's SQLite for engagekit (unthrottled
//               rounds only: it measures the wire, not the CPU);
//   burst       10,000 `track` calls in tasks of 50, stopping early after `burstCapMs` of
//               real time (the slowest peers do not finish), µs per call inside the calls and
//               µs per call of wall time (which includes the work a library defers to later
//               tasks), long tasks during the burst and the 1.5 s after it.
// Plus, on separate unthrottled loads for engagekit and posthog-js, µs per call at queue
// lengths 0, 100 and 1,000, with the context offline so the queue only grows.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, startCollector, query, sleep } from '../tests/e2e/harness.mjs';
import { startServers, tally } from './servers.mjs';
import { collectorConfig, renderPage, trafficLib, WRITE_KEYS } from './pages.mjs';

export const TRACKERS = ['engagekit', 'posthog', 'posthog-raised', 'segment', 'rudderstack'];
export const OTHERS = ['growthbook', 'none'];
export const QUEUE_LIBS = ['engagekit', 'posthog-raised'];
// Load-only pages in every round: engagekit's widgets build (a page with a content slot) and
// posthog-js with surveys and flags on, beside GrowthBook: the (b) feature set.
export const WIDGET_PAGES = ['engagekit-widgets', 'posthog-surveys'];
// Loaded once, to see which files the page fetches.
export const CHECK_PAGES = ['posthog-tracking-only'];

const SETTLE_MS = 1000;

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

const metricsOf = async (cdp) => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));

async function heapAfterGc(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await metricsOf(cdp)).JSHeapUsedSize;
}

// ---- in-page functions (run with page.evaluate) ---------------------------------------------

/** N track calls in one synchronous loop; returns ms spent. */
function pageDeliver({ n, run }) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) __bench.track('Bench Event', { i, run, plan: 'pro', source: 'bench', value: i * 1.5 });
  return performance.now() - t0;
}

/** N track calls in tasks of `chunk`, stopping after capMs; timings per chunk. */
async function pageBurst({ n, run, chunk, capMs }) {
  const mc = new MessageChannel();
  const nextTask = () => new Promise((r) => { mc.port1.onmessage = () => r(); mc.port2.postMessage(0); });
  const start = performance.now();
  let done = 0;
  let busy = 0;
  const perCall = [];
  while (done < n && performance.now() - start < capMs) {
    const end = Math.min(n, done + chunk);
    const t0 = performance.now();
    for (let i = done; i < end; i++) __bench.track('Burst Event', { i, run, plan: 'pro', source: 'bench', value: i * 1.5 });
    const dt = performance.now() - t0;
    busy += dt;
    perCall.push((dt * 1000) / (end - done));
    done = end;
    await nextTask();
  }
  // One more timer turn so work a library deferred to a zero-delay timer counts in wall time.
  await new Promise((r) => setTimeout(r, 0));
  const wall = performance.now() - start;
  return { done, busyMs: busy, wallMs: wall, start, end: performance.now(), perCall };
}

/** µs per call at each queue length in `levels` (the driver has set the context offline). */
async function pageQueue({ levels, sample, run, capMs }) {
  const mc = new MessageChannel();
  const nextTask = () => new Promise((r) => { mc.port1.onmessage = () => r(); mc.port2.postMessage(0); });
  const timer = () => new Promise((r) => setTimeout(r, 0));
  let i = 0;
  const call = () => __bench.track('Queue Event', { i: i++, run, plan: 'pro', source: 'bench' });
  const start = performance.now();
  const out = [];
  for (const level of levels) {
    while (i < level && performance.now() - start < capMs) {
      for (let k = 0; k < 100 && i < level; k++) call();
      await nextTask();
    }
    if (i < level) break;
    await timer();
    const single = [];
    for (let k = 0; k < sample; k++) {
      const t0 = performance.now();
      call();
      single.push((performance.now() - t0) * 1000);
      await nextTask();
    }
    await timer();
    // A batch of calls and the zero-delay timer turn after it: includes deferred work.
    const t0 = performance.now();
    for (let k = 0; k < sample; k++) call();
    await timer();
    const batchUs = ((performance.now() - t0) * 1000) / sample;
    await timer();
    out.push({ level, single, batchUs });
  }
  return out;
}

// ---- one page load ---------------------------------------------------------------------------

async function deliveredEngagekit(db, run, event) {
  const rows = await query(db, "SELECT COUNT(DISTINCT json_extract(json, '$.properties.i')) AS n FROM events WHERE event = ? AND json_extract(json, '$.properties.run') = ?", [event, run]);
  return rows[0]?.n ?? 0;
}

/** Waits until `expected` events are delivered and 1 s passed quietly, or nothing moved for
 *  `stallMs`, or `capMs` passed. Returns the count delivered. */
async function waitDelivery(count, requests, expected, { stallMs, capMs }) {
  const start = Date.now();
  let last = { d: -1, r: -1 };
  let changed = Date.now();
  let delivered = 0;
  while (Date.now() - start < capMs) {
    delivered = await count();
    const r = requests();
    if (delivered !== last.d || r !== last.r) { last = { d: delivered, r }; changed = Date.now(); }
    if (delivered >= expected && Date.now() - changed >= 1000) break;
    if (Date.now() - changed >= stallMs) break;
    await sleep(250);
  }
  return { delivered, waitedMs: Date.now() - start };
}

async function loadPage(env, name, { throttle, round, phases, sizes }) {
  const { browser, servers, db } = env;
  const run = `${name}-${throttle}x-r${round}-${Date.now().toString(36)}`;
  const lib = trafficLib(name);
  const out = { name, throttle, round, run };
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const external = new Set();
    page.on('request', (r) => { const u = r.url(); if (!/^(http:\/\/127\.0\.0\.1[:/]|data:|blob:)/.test(u)) external.add(u.slice(0, 120)); });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e.message).slice(0, 200)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text().slice(0, 200)); });
    let crashed = false;
    page.on('crash', () => { crashed = true; });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    if (throttle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
    const mark0 = servers.mark();

    await page.goto(`${servers.origins.site}/page/${name}.html`, { waitUntil: 'commit', timeout: 30000 });
    try {
      out.readyMs = await withTimeout(page.evaluate(() => window.__bench.ready), 15000 * throttle, 'ready');
    } catch (e) {
      out.error = `not ready: ${e.message}`;
    }
    out.isolated = await page.evaluate(() => self.crossOriginIsolated).catch(() => null);
    if (out.readyMs === undefined) return finish();
    await sleep(SETTLE_MS);
    // What the page fetched and when (Resource Timing, ms from navigation start).
    out.resources = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => [e.name, e.startTime, e.responseEnd])).catch(() => []);
    const m = await metricsOf(cdp);
    out.taskMs = m.TaskDuration * 1000;
    out.scriptMs = m.ScriptDuration * 1000;
    const cut = out.readyMs + SETTLE_MS; // the page's clock runs at real speed under throttling
    const long = await page.evaluate(() => __b.long.slice());
    const loadLong = long.filter(([s]) => s <= cut);
    out.loadLong = { count: loadLong.length, ms: loadLong.reduce((a, [, d]) => a + d, 0) };
    out.heapLoad = await heapAfterGc(cdp);
    const hasTrack = await page.evaluate(() => typeof window.__bench.track === 'function');

    if (phases.deliver && hasTrack) {
      const mk = servers.mark();
      const n = phases.deliver;
      out.deliverCallMs = await page.evaluate(pageDeliver, { n, run });
      const since = () => servers.traffic.slice(mk.traffic);
      const count = lib === 'engagekit'
        ? () => deliveredEngagekit(db, run, 'Bench Event')
        : async () => tally(since(), lib, { event: 'Bench Event', run }).matched.size;
      const w = await waitDelivery(count, () => since().filter((r) => r.lib === lib).length, n, { stallMs: 6000, capMs: 30000 });
      const t = tally(since(), lib);
      out.delivery = { sent: n, delivered: w.delivered, requests: t.requests, preflights: t.preflights, bytes: t.bytes, waitedMs: w.waitedMs, gzipped: t.gzipped, non2xx: t.non2xx };
    }

    if (phases.burst && hasTrack) {
      const capMs = phases.burstCapMs;
      const b = await withTimeout(page.evaluate(pageBurst, { n: phases.burst, run, chunk: 50, capMs }), capMs + 120000, 'burst');
      await sleep(1500);
      const all = await page.evaluate(() => __b.long.slice());
      const during = all.filter(([s]) => s >= b.start && s <= b.end + 1500);
      out.burst = {
        calls: b.done, target: phases.burst, busyMs: b.busyMs, wallMs: b.wallMs,
        usPerCall: (b.busyMs * 1000) / b.done, usWallPerCall: (b.wallMs * 1000) / b.done,
        firstChunkUs: b.perCall[0], lastChunkUs: b.perCall[b.perCall.length - 1], medianChunkUs: median(b.perCall),
        longCount: during.length, longMs: during.reduce((a, [, d]) => a + d, 0), longMax: during.reduce((a, [, d]) => Math.max(a, d), 0),
      };
      out.heapBurst = await heapAfterGc(cdp);
    }

    if (phases.queue && hasTrack) {
      await context.setOffline(true);
      await sleep(200);
      out.queue = await withTimeout(page.evaluate(pageQueue, { levels: phases.queue, sample: 20, run, capMs: 20000 }), 60000, 'queue');
    }
    return finish();

    function finish() {
      const served = servers.served.slice(mark0.served);
      out.files = [...new Set(served.map((s) => s.file))];
      if (sizes) sizes[name] = out.files;
      out.external = [...external];
      out.errors = errors.slice(0, 5);
      out.crashed = crashed;
      return out;
    }
  } catch (e) {
    out.error = (out.error ? out.error + '; ' : '') + String(e.message || e).split('\n')[0];
    return out;
  } finally {
    await context.close().catch(() => {});
  }
}

/**
 * Runs every load. `opts`: {throttles: [[rate, rounds], ...], deliver, burst, burstCapMs,
 * queueLevels, libs?, log}.
 * Returns {loads, chromium, files}.
 */
export async function runBrowser(opts) {
  const log = opts.log || (() => {});
  const dir = await mkdtemp(path.join(tmpdir(), 'engagekit-bench-'));
  const db = path.join(dir, 'events.db');
  const configPath = path.join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(collectorConfig(), null, 2));
  let collector;
  let servers;
  let browser;
  try {
    collector = await startCollector({ db, configPath });
    servers = await startServers({ collectorUrl: collector.url, page: renderPage });
    browser = await launchBrowser();
    const env = { browser, servers, db };
    const loads = [];
    const files = {};
    const names = [...TRACKERS, ...WIDGET_PAGES, ...OTHERS].filter((n) => !opts.libs || opts.libs.includes(n));
    const t0 = Date.now();
    // Warm-up load (not recorded): the first page of a fresh browser pays for process start-up.
    await loadPage(env, 'none', { throttle: 1, round: -1, phases: {} });
    const rounds = Math.max(...opts.throttles.map(([, n]) => n));
    for (let round = 0; round < rounds; round++) {
      for (const [throttle, n] of opts.throttles) {
        if (round >= n) continue;
        const rotated = names.map((_, k) => names[(k + round) % names.length]);
        for (const name of rotated) {
          const tracks = TRACKERS.includes(name);
          const phases = {
            deliver: tracks && throttle === 1 ? opts.deliver : 0,
            burst: tracks || name === 'none' ? opts.burst : 0,
            burstCapMs: opts.burstCapMs,
          };
          const r = await loadPage(env, name, { throttle, round, phases, sizes: round === 0 && throttle === 1 ? files : null });
          loads.push(r);
          log(describe(r));
        }
        if (throttle !== 1) continue;
        for (const name of QUEUE_LIBS.filter((q) => !opts.libs || opts.libs.includes(q))) {
          const r = await loadPage(env, name, { throttle, round, phases: { queue: opts.queueLevels } });
          r.kind = 'queue';
          loads.push(r);
          log(describe(r));
        }
        if (round === 0) {
          for (const name of CHECK_PAGES.filter((c) => !opts.libs || opts.libs.some((l) => c.startsWith(l)))) {
            const r = await loadPage(env, name, { throttle, round, phases: {}, sizes: files });
            r.kind = 'check';
            loads.push(r);
            log(describe(r));
          }
        }
      }
    }
    if (opts.debugTraffic) for (const r of servers.traffic) if (r.status >= 400) log(`  ${r.lib} ${r.method} ${r.path} -> ${r.status} ${r.answer || ''}`);
    return { loads, files, chromium: browser.version(), seconds: (Date.now() - t0) / 1000, writeKeys: WRITE_KEYS };
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (servers) await servers.stop().catch(() => {});
    if (collector) await collector.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

function describe(r) {
  const parts = [`${r.name}${r.kind ? ` (${r.kind})` : ''} ${r.throttle}x r${r.round}:`];
  if (r.readyMs !== undefined) parts.push(`ready ${r.readyMs.toFixed(0)} ms, task ${r.taskMs?.toFixed(0)} ms`);
  if (r.delivery) parts.push(`delivered ${r.delivery.delivered}/${r.delivery.sent} in ${r.delivery.requests} req, ${r.delivery.bytes} B`);
  if (r.burst) parts.push(`burst ${r.burst.calls} calls ${r.burst.usPerCall.toFixed(1)} µs/call (wall ${r.burst.usWallPerCall.toFixed(1)}), ${r.burst.longCount} long tasks`);
  if (r.queue) parts.push('queue ' + r.queue.map((q) => `${q.level}: ${median(q.single).toFixed(1)} µs`).join(', '));
  if (r.isolated === false) parts.push('NOT cross-origin isolated');
  if (r.error) parts.push(`ERROR ${r.error}`);
  if (r.crashed) parts.push('CRASHED');
  if (r.external?.length) parts.push(`external: ${r.external.length}`);
  return parts.join(' ');
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}
