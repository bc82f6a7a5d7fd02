// Transport: Playwright's router stands in front of the real collector on /v1/batch and
// answers some attempts itself (503, 429 + Retry-After, 400, a network failure, a lost
// response) before letting the rest through. The collector's DB must then hold every event
// exactly once, retries must back off instead of looping, and a refused batch must cost one
// warning and nothing else. Also: the request itself is CORS-simple, checked from a page on
// another origin.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  setup, testConfig, waitReady, watchPage, debugInfo, expectStoredExactly, eventRows, waitFor, sleep,
} from './harness.mjs';

// One event per batch: every event goes out at once, so attempts are easy to line up.
const FAST = testConfig({ tracking: { flushAt: 1, flushIntervalMs: 100 } });

/**
 * Routes every /v1/batch request of `context` through `decide(n, request)` (n counts from 0):
 * 'pass' → on to the collector; 'abort' → network failure; 'lost' → the collector stores it
 * but the answer never reaches the page; {status, headers} → that answer, the collector never
 * sees it. Returns the attempts: {n, at (ms, node clock), ids, body, request, outcome}.
 */
async function routeBatches(context, decide) {
  const attempts = [];
  await context.route('**/v1/batch', async (route) => {
    const request = route.request();
    const n = attempts.length;
    let body = null;
    try { body = JSON.parse(request.postData() || ''); } catch { /* recorded as null */ }
    const entry = { n, at: Date.now(), ids: (body?.batch || []).map((e) => e.messageId), body, request, outcome: null };
    attempts.push(entry);
    const what = await decide(n, request);
    entry.outcome = typeof what === 'string' ? what : what.status;
    if (what === 'pass') return route.continue();
    if (what === 'abort') return route.abort('failed');
    if (what === 'lost') {
      const res = await route.fetch();
      entry.outcome = `lost ${res.status()}`;
      return route.abort('connectionreset');
    }
    return route.fulfill({ status: what.status, headers: what.headers || {}, contentType: 'application/json', body: '{}' });
  });
  return attempts;
}

/** Times taken in the page when the loader calls fetch for /v1/batch (its clock, so gaps are
 *  exact: a timer never fires early, and the node side's routing latency does not count). */
async function recordSendTimes(context) {
  await context.addInitScript(() => {
    const original = window.fetch;
    window.__batchSends = [];
    window.fetch = function (url) {
      if (String(url).includes('/v1/batch')) window.__batchSends.push({ t: performance.now(), wall: Date.now() });
      return original.apply(this, arguments);
    };
  });
}
const sendTimes = (page) => page.evaluate(() => window.__batchSends);
const gaps = (times) => times.slice(1).map((s, i) => Math.round(s.t - times[i].t));

// Chromium logs every non-2xx answer as a console error of its own; only the page's count.
const ownProblems = (problems) => problems.filter((p) => !/Failed to load resource: the server responded with a status of \d+/.test(p));

const describe = (attempts) => attempts.map((a) => `#${a.n} +${a.at - attempts[0].at}ms ${a.outcome} [${a.ids.length} ids]`).join(', ');

/** Console warnings that start with "engagekit:". */
function engagekitWarnings(page) {
  const warnings = [];
  page.on('console', (msg) => {
    if (msg.type() === 'warning' && msg.text().startsWith('engagekit:')) warnings.push(msg.text());
  });
  return warnings;
}

test('two 503s, then the collector: every event stored once, the retry waits ≥ 0.5 s and doubles', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext({ baseURL: env.base });
  const attempts = await routeBatches(context, (n) => (n < 2 ? { status: 503 } : 'pass'));
  const page = await context.newPage();
  const problems = watchPage(page);
  const warnings = engagekitWarnings(page);

  await page.goto('/docs.html');
  await waitReady(page);
  await page.evaluate(() => { for (let n = 0; n < 3; n++) window.engagekit.track('Retried', { n }); });
  const expected = ['page /docs.html', 'track Retried n=0', 'track Retried n=1', 'track Retried n=2'];

  await expectStoredExactly(env.ws.db, expected, { timeoutMs: 15000 });
  t.diagnostic(describe(attempts));
  assert.ok(attempts.length >= 3, `at least two refused attempts and one that got through: ${describe(attempts)}`);
  assert.deepEqual(attempts.slice(0, 2).map((a) => a.outcome), [503, 503]);
  for (const a of attempts.slice(1, 3)) {
    assert.ok(attempts[0].ids.every((id) => a.ids.includes(id)), `retry #${a.n} carries the refused events again (same messageIds)`);
  }
  const gap1 = attempts[1].at - attempts[0].at;
  const gap2 = attempts[2].at - attempts[1].at;
  assert.ok(gap1 >= 450, `first retry waits ≥ ~500 ms (backoff, not a hot loop), waited ${gap1} ms`);
  assert.ok(gap1 <= 2500, `first retry comes within about a second, waited ${gap1} ms`);
  assert.ok(gap2 >= 950, `second retry waits ≥ ~1 s (doubled), waited ${gap2} ms`);
  assert.deepEqual(warnings, [], 'retryable failures are not warned about');
  const info = await debugInfo(page);
  assert.equal(info.queued + info.inflight, 0, `queue empty after delivery: ${JSON.stringify(info)}`);
  assert.equal(info.dropped, 0);
  assert.deepEqual(ownProblems(problems), []);
  await context.close();
});

test('429 with Retry-After: 2 holds the next attempt back ≥ 2 s, then delivers once', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext({ baseURL: env.base });
  const attempts = await routeBatches(context, (n) => (n === 0 ? { status: 429, headers: { 'Retry-After': '2' } } : 'pass'));
  const page = await context.newPage();
  await page.goto('/docs.html');
  await waitReady(page);
  await page.evaluate(() => window.engagekit.track('Throttled', { n: 0 }));

  await expectStoredExactly(env.ws.db, ['page /docs.html', 'track Throttled n=0'], { timeoutMs: 15000 });
  t.diagnostic(describe(attempts));
  assert.equal(attempts[0].outcome, 429);
  assert.ok(attempts.length >= 2);
  const gap = attempts[1].at - attempts[0].at;
  assert.ok(gap >= 1950, `the retry honours Retry-After: 2 (≥ 2000 ms), came after ${gap} ms`);
  assert.ok(gap <= 6000, `and does not wait far longer, came after ${gap} ms`);
  assert.ok(attempts[0].ids.every((id) => attempts[1].ids.includes(id)), 'the retry carries the throttled events');
  await context.close();
});

test('429 with Retry-After as an HTTP date holds the next attempt back until that date', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext({ baseURL: env.base });
  let until = 0;
  const attempts = await routeBatches(context, (n) => {
    if (n > 0) return 'pass';
    const date = new Date(Date.now() + 3000).toUTCString(); // whole seconds: 2-3 s from now
    until = Date.parse(date);
    return { status: 429, headers: { 'Retry-After': date } };
  });
  const page = await context.newPage();
  await page.goto('/docs.html');
  await waitReady(page);

  await expectStoredExactly(env.ws.db, ['page /docs.html'], { timeoutMs: 15000 });
  t.diagnostic(describe(attempts));
  assert.ok(attempts.length >= 2);
  assert.ok(attempts[1].at >= until - 50,
    `the retry waits for the Retry-After date: came ${until - attempts[1].at} ms before it`);
  await context.close();
});

test('a 400 drops that batch with one warning; later events are still delivered', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext({ baseURL: env.base });
  const attempts = await routeBatches(context, (n) => (n === 0 ? { status: 400 } : 'pass'));
  const page = await context.newPage();
  const problems = watchPage(page);
  const warnings = engagekitWarnings(page);

  await page.goto('/docs.html');
  await waitReady(page);
  await waitFor(() => warnings.length > 0, { message: 'the refusal warning' });
  const refused = attempts[0];
  assert.equal(refused.outcome, 400);
  assert.ok(refused.ids.length >= 1);

  await page.evaluate(() => { for (let n = 0; n < 3; n++) window.engagekit.track('After Refusal', { n }); });
  // The refused page view is not among them: it was dropped, not stored and not retried.
  await expectStoredExactly(env.ws.db, ['track After Refusal n=0', 'track After Refusal n=1', 'track After Refusal n=2'], { timeoutMs: 15000 });
  t.diagnostic(describe(attempts));

  const re = /^engagekit: the collector refused (\d+) event\(s\) with status 400; they were dropped$/;
  assert.equal(warnings.length, 1, `exactly one engagekit warning: ${JSON.stringify(warnings)}`);
  const m = re.exec(warnings[0]);
  assert.ok(m, `the warning says what happened: ${warnings[0]}`);
  assert.equal(Number(m[1]), refused.ids.length, 'it counts the events of the refused batch');
  const stored = new Set((await eventRows(env.ws.db)).map((r) => r.message_id));
  for (const id of refused.ids) {
    assert.ok(!stored.has(id), `refused event ${id} is not stored`);
    assert.ok(!attempts.slice(1).some((a) => a.ids.includes(id)), `refused event ${id} is never sent again`);
  }
  const info = await debugInfo(page);
  assert.equal(info.queued + info.inflight, 0, `nothing left queued: ${JSON.stringify(info)}`);
  assert.deepEqual(ownProblems(problems), []);
  await context.close();
});

test('network failures for a while, then the collector: delivered once, without a hot loop', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext({ baseURL: env.base });
  let failUntil = Infinity;
  const attempts = await routeBatches(context, () => {
    if (failUntil === Infinity) failUntil = Date.now() + 1500;
    return Date.now() < failUntil ? 'abort' : 'pass';
  });
  const page = await context.newPage();
  const warnings = engagekitWarnings(page);
  await page.goto('/docs.html');
  await waitReady(page);
  await page.evaluate(() => { for (let n = 0; n < 4; n++) window.engagekit.track('Unreachable', { n }); });

  await expectStoredExactly(env.ws.db,
    ['page /docs.html', 'track Unreachable n=0', 'track Unreachable n=1', 'track Unreachable n=2', 'track Unreachable n=3'],
    { timeoutMs: 20000 });
  t.diagnostic(describe(attempts));
  const failed = attempts.filter((a) => a.outcome === 'abort');
  assert.ok(failed.length >= 2, `several attempts failed: ${describe(attempts)}`);
  assert.ok(failed.length <= 3, `backoff, not a hot loop, within 1.5 s: ${describe(attempts)}`);
  for (let i = 1; i < failed.length; i++) {
    assert.ok(failed[i].at - failed[i - 1].at >= 450, `attempts ≥ ~500 ms apart: ${describe(attempts)}`);
  }
  assert.deepEqual(warnings, []);
  await context.close();
});

test('a response lost after the collector stored the batch: the retry is not stored twice', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext({ baseURL: env.base });
  const attempts = await routeBatches(context, (n) => (n === 0 ? 'lost' : 'pass'));
  const page = await context.newPage();
  await page.goto('/docs.html');
  await waitReady(page);
  await page.evaluate(() => window.engagekit.track('Lost Answer', { n: 0 }));

  await expectStoredExactly(env.ws.db, ['page /docs.html', 'track Lost Answer n=0'], { timeoutMs: 15000, settleMs: 2000 });
  t.diagnostic(describe(attempts));
  assert.match(String(attempts[0].outcome), /^lost 2\d\d$/, 'the collector accepted the first attempt');
  assert.ok(attempts.slice(1).some((a) => a.ids.includes(attempts[0].ids[0])), 'the page sent the same event again');
  await context.close();
});

// Headers a page cannot set (the browser does) plus the CORS-safelisted ones. Anything else
// on the request would be a custom header, and cross-origin a preflight.
const BROWSER_OR_SAFELISTED = new Set([
  'accept', 'accept-language', 'content-language', 'content-type', 'accept-encoding', 'connection',
  'content-length', 'host', 'origin', 'referer', 'user-agent', 'priority', 'cache-control', 'pragma',
  'dnt',
]);

/** A page on another origin (a second local server; a loopback page may call a loopback
 *  collector) with the README snippet pointing at the collector. */
async function crossOriginPage(t, context, base) {
  const html = `<!doctype html><html><head><title>Shop</title>
<script>
!function(w,k){var e=w[k]=w[k]||{q:[]};"init track page identify reset consent forget flush ready".split(" ").forEach(function(m){e[m]=e[m]||function(){e.q.push([m,[].slice.call(arguments),Date.now()])}})}(window,"engagekit");
engagekit.init("demo");
</script>
<script async src="${base}/engagekit.js"></script>
</head><body><h1>Shop</h1></body></html>`;
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/shop.html' ? 200 : 404, { 'content-type': 'text/html' });
    res.end(req.url === '/shop.html' ? html : '');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const page = await context.newPage();
  await page.goto(`${origin}/shop.html`);
  return { page, origin };
}

test('the batch request is CORS-simple: text/plain POST, no custom headers, writeKey in the body', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext();
  const attempts = await routeBatches(context, () => 'pass');
  const { page, origin } = await crossOriginPage(t, context, env.base);
  const problems = watchPage(page);
  await waitReady(page);
  await page.evaluate(() => window.engagekit.track('Simple', { n: 0 }));
  await expectStoredExactly(env.ws.db, ['page /shop.html', 'track Simple n=0'], { timeoutMs: 15000 });

  assert.ok(attempts.length >= 1);
  for (const a of attempts) {
    const { request } = a;
    assert.equal(request.method(), 'POST');
    const headers = await request.allHeaders();
    t.diagnostic(`request headers: ${JSON.stringify(headers)}`);
    assert.equal(headers['content-type'], 'text/plain;charset=UTF-8');
    assert.equal(headers.origin, origin, 'a cross-origin request from the page');
    assert.notEqual(origin, env.base);
    const custom = Object.keys(headers).filter((h) => !BROWSER_OR_SAFELISTED.has(h) && !h.startsWith('sec-'));
    assert.deepEqual(custom, [], 'no custom headers (they would need a preflight)');
    assert.equal(headers.authorization, undefined);
    assert.equal(headers.cookie, undefined, 'credentials are omitted');
    assert.ok(['*/*', undefined].includes(headers.accept), `accept is the browser default: ${headers.accept}`);

    const body = a.body;
    assert.ok(body, 'the body is JSON');
    assert.equal(body.writeKey, 'demo', 'writeKey travels in the body');
    assert.ok(typeof body.sentAt === 'string' && !Number.isNaN(Date.parse(body.sentAt)), `sentAt is a date: ${body.sentAt}`);
    assert.ok(Math.abs(Date.parse(body.sentAt) - a.at) < 60000, 'sentAt is about now');
    assert.ok(Array.isArray(body.batch) && body.batch.length >= 1);
    for (const e of body.batch) assert.ok(typeof e.messageId === 'string' && e.messageId.length >= 8, `messageId: ${e.messageId}`);
  }
  const all = attempts.flatMap((a) => a.ids);
  assert.equal(new Set(all).size, all.length, 'no event sent twice');
  assert.deepEqual(problems, [], 'no CORS or other errors on the page');
  await context.close();
});

test('from another origin, the collector exposes Retry-After so a 429 is honoured', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: FAST });
  const context = await env.browser.newContext();
  // The collector's own CORS headers, on a 429 with Retry-After: whether the page may read
  // the header is up to what the collector exposes.
  const attempts = [];
  await context.route('**/v1/batch', async (route) => {
    const request = route.request();
    const n = attempts.length;
    const body = JSON.parse(request.postData() || '{}');
    const entry = { n, at: Date.now(), ids: (body.batch || []).map((e) => e.messageId), body, request, outcome: 'pass' };
    attempts.push(entry);
    if (n > 0) return route.continue();
    // Ask the collector for its CORS headers without storing anything: an empty batch.
    const res = await route.fetch({ postData: JSON.stringify({ writeKey: 'demo', batch: [] }) });
    entry.outcome = 429;
    const headers = { ...res.headers(), 'retry-after': '3' };
    for (const h of ['content-length', 'content-encoding', 'transfer-encoding']) delete headers[h];
    entry.headers = headers;
    return route.fulfill({ status: 429, headers, body: '{}' });
  });
  await recordSendTimes(context);
  const { page } = await crossOriginPage(t, context, env.base);
  await waitReady(page);

  await expectStoredExactly(env.ws.db, ['page /shop.html'], { timeoutMs: 15000 });
  t.diagnostic(`${describe(attempts)}; 429 headers: ${JSON.stringify(attempts[0].headers)}`);
  assert.equal(attempts[0].outcome, 429);
  const [gap] = gaps(await sendTimes(page));
  assert.ok(gap >= 2990, `the cross-origin retry honours Retry-After: 3, came after ${gap} ms`);
  await context.close();
});
