// Content-Security-Policy and an unreachable config: a page at the collector's origin
// (served by the router with a CSP header) carries the README snippet. Without
// 'wasm-unsafe-eval' engagekit cannot start: one warning, no errors, and the page and its
// calls go on. With the policy the README asks for it works. When the config cannot be
// fetched it warns once and runs on the defaults.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, waitReady, watchPage, eventRows, expectStoredExactly, waitFor, sleep } from './harness.mjs';

// The README snippet, then the page's own script: it calls engagekit before the module can
// have loaded and keeps going (DOM markers), now and a little later.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CSP page</title>
<script>
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) { window.__violations.push(e.violatedDirective + ' ' + e.blockedURI); });
</script>
<script>
!function(w,k){var e=w[k]=w[k]||{q:[]};"init track page identify reset consent forget flush ready".split(" ").forEach(function(m){e[m]=e[m]||function(){e.q.push([m,[].slice.call(arguments),Date.now()])}})}(window,"engagekit");
engagekit.init("demo");
</script>
<script async src="/engagekit.js"></script>
</head><body><h1>CSP page</h1>
<script>
engagekit.track('Inline Call', { n: 0 });
document.body.setAttribute('data-page-script', 'ran');
setTimeout(function () {
  engagekit.track('Later Call', { n: 1 });
  document.body.setAttribute('data-later', 'ran');
}, 1500);
</script>
</body></html>`;

const NO_WASM = "script-src 'self' 'unsafe-inline'";
const STRICT = "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; connect-src 'self'";

/** A context whose /csp-*.html pages are PAGE with `csp`; records warnings, page errors and
 *  /v1/batch requests. */
async function cspPage(env, csp) {
  const context = await env.browser.newContext({ baseURL: env.base });
  await context.route('**/csp-*.html', (route) => route.fulfill({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    headers: { 'Content-Security-Policy': csp },
    body: PAGE,
  }));
  const page = await context.newPage();
  const problems = watchPage(page);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const warnings = [];
  page.on('console', (msg) => { if (msg.text().startsWith('engagekit:')) warnings.push(`${msg.type()}: ${msg.text()}`); });
  const batches = [];
  page.on('request', (req) => {
    if (!req.url().includes('/v1/batch')) return;
    let body = null;
    try { body = JSON.parse(req.postData() || ''); } catch { /* left null */ }
    batches.push({ at: Date.now(), body });
  });
  return { context, page, problems, pageErrors, warnings, batches };
}

test("CSP without 'wasm-unsafe-eval': one warning, no errors, calls don't throw, the page goes on", { timeout: 30000 }, async (t) => {
  const env = await setup(t);
  const { context, page, pageErrors, warnings, batches } = await cspPage(env, NO_WASM);
  await page.goto('/csp-a.html');

  await waitFor(() => warnings.length > 0, { timeoutMs: 10000, message: 'the engagekit warning' });
  t.diagnostic(warnings[0]);
  assert.equal(await page.getAttribute('body', 'data-page-script'), 'ran', 'the inline script after the snippet ran to its end');
  assert.match(warnings[0], /^warning: engagekit: /, 'a console warning (not an error) starting "engagekit:"');

  // Calls after the failure: the snippet's stubs take them, nothing throws.
  const thrown = await page.evaluate(() => {
    const calls = [
      () => engagekit.track('x'),
      () => engagekit.track('Signed Up', { plan: 'pro' }),
      () => engagekit.page(),
      () => engagekit.identify('u1', { plan: 'pro' }),
      () => engagekit.consent('granted'),
      () => engagekit.flush(),
      () => engagekit.ready(function () { window.__readyCalled = true; }),
      () => engagekit.reset(),
      () => engagekit.forget(),
    ];
    const out = [];
    for (const c of calls) { try { c(); } catch (e) { out.push(`${c} threw ${e && e.message}`); } }
    document.body.setAttribute('data-after-calls', 'ran');
    return out;
  });
  assert.deepEqual(thrown, [], 'no engagekit call throws after it failed to start');
  assert.equal(await page.getAttribute('body', 'data-after-calls'), 'ran');
  await page.waitForSelector('body[data-later="ran"]', { timeout: 5000 });
  await sleep(500);

  assert.equal(warnings.length, 1, `exactly one engagekit warning: ${JSON.stringify(warnings)}`);
  assert.deepEqual(pageErrors, [], 'no page errors');
  assert.equal(await page.evaluate(() => window.__readyCalled === true), false, 'ready() callbacks do not run without the module');
  assert.deepEqual(batches, [], 'nothing is sent');
  assert.equal((await eventRows(env.ws.db)).length, 0, 'nothing is stored');
  await context.close();
});

test("CSP with 'wasm-unsafe-eval' and connect-src 'self': engagekit runs and its page view is stored", { timeout: 30000 }, async (t) => {
  const env = await setup(t);
  const { context, page, problems, pageErrors, warnings } = await cspPage(env, STRICT);
  await page.goto('/csp-b.html');
  await waitReady(page);
  assert.equal(typeof (await page.evaluate(() => window.engagekit.debug().anonymousId)), 'string', 'the module is running');

  await expectStoredExactly(env.ws.db, ['page /csp-b.html', 'track Inline Call n=0', 'track Later Call n=1'], { timeoutMs: 15000 });
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violations');
  assert.deepEqual(warnings, [], 'no engagekit warnings');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(problems, [], 'no console errors');
  await context.close();
});

test('the config cannot be fetched: one warning, the defaults apply, events are still delivered', { timeout: 40000 }, async (t) => {
  const env = await setup(t); // the served config says flushIntervalMs 300; the default is 5000
  const { context, page, pageErrors, warnings, batches } = await cspPage(env, STRICT);
  let configAsks = 0;
  await context.route('**/v1/config/*', (route) => { configAsks++; return route.abort('connectionrefused'); });
  await page.goto('/csp-c.html');
  await waitReady(page);
  assert.ok(configAsks >= 1, 'the loader asked for the config');

  const rows = await expectStoredExactly(env.ws.db, ['page /csp-c.html', 'track Inline Call n=0', 'track Later Call n=1'], { timeoutMs: 15000 });
  assert.equal(warnings.length, 1, `exactly one engagekit warning: ${JSON.stringify(warnings)}`);
  assert.match(warnings[0], /^warning: engagekit: .*config/, 'it is about the config');

  // Defaults, not the (unreachable) served config: the first batch waited out the default
  // flushIntervalMs of 5 s after the page view instead of 300 ms.
  const first = batches[0];
  assert.ok(first, 'a batch was sent');
  const pageView = rows.find((r) => r.type === 'page');
  const waited = first.at - Date.parse(pageView.body.timestamp);
  t.diagnostic(`first batch ${waited} ms after the page view, with ${first.body?.batch?.length} event(s)`);
  assert.ok(waited >= 4500, `the default flush interval (5000 ms) applies: the first batch went after ${waited} ms`);
  assert.deepEqual(pageErrors, []);
  await context.close();
});
