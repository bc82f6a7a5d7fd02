// (f) The demo pages load without console errors or page errors; engagekit calls with bad
// arguments never throw into the page (neither into the pre-load stub nor after load).
// Also static checks of the demo markup: the exact README snippet, one shared nav,
// no inline event handlers, no innerHTML.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, setup, snippet, waitReady, watchPage, query, waitFor, sleep } from './harness.mjs';

const DEMO = path.join(ROOT, 'www', 'demo');
const PAGES = ['index.html', 'pricing.html', 'docs.html', 'app.html'];
const SNIPPET = snippet();

test('demo pages use the exact snippet, one shared nav, no inline handlers or innerHTML', async () => {
  let nav = null;
  for (const file of PAGES) {
    const html = await readFile(path.join(DEMO, file), 'utf8');
    const head = html.slice(0, html.indexOf('</head>'));
    assert.ok(head.includes(SNIPPET), `${file}: the snippet appears verbatim in <head>`);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${file}: no inline event-handler attributes`);
    const header = html.match(/<header class="site-header">[\s\S]*?<\/header>/);
    assert.ok(header, `${file}: has the shared site header`);
    if (nav === null) nav = header[0];
    assert.equal(header[0], nav, `${file}: same nav markup as ${PAGES[0]}`);
  }
  const js = (await readFile(path.join(DEMO, 'demo.js'), 'utf8'))
    .replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // code only, not comments
  assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'demo.js builds DOM without HTML strings');
  // engagekit's own page code: nothing from the config or the visitor can become markup.
  for (const file of ['loader.js', 'widgets.js']) {
    const code = (await readFile(path.join(ROOT, 'www', file), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    assert.doesNotMatch(code, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(['"]on/, `www/${file} builds no markup from strings`);
  }
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const documented = SNIPPET.replace('"demo"', '"YOUR_WRITE_KEY"').replace('src="/', 'src="https://collector.example.com/');
  assert.ok(readme.includes(documented), 'the README shows the same snippet');
  const config = JSON.parse(await readFile(path.join(ROOT, 'config', 'demo.json'), 'utf8'));
  assert.ok(config.demo && config.demo.tracking, 'config/demo.json has the demo writeKey');
});

// Each entry is evaluated on its own in the page; a throw is a failure.
const BAD_CALLS = [
  'engagekit.track(42)',
  "engagekit.track('x', 'notanobject')",
  'engagekit.identify({})',
  'engagekit.track()',
  'engagekit.track(null, null)',
  "engagekit.page(42, 'x')",
  "engagekit.identify('', 7)",
  "engagekit.consent('maybe')",
  "engagekit.ready('notafunction')",
  "(() => { const o = {}; o.self = o; engagekit.track('Circular', o); })()",
  "engagekit.track('Too Big', { s: 'x'.repeat(40000) })",
  'engagekit.score()',
  'engagekit.debug()',
];

async function callAll(page) {
  return page.evaluate((calls) => calls.map((src) => {
    try { (0, eval)(src); return null; } catch (e) { return `${src} threw ${e && e.message}`; }
  }).filter((r) => r !== null), BAD_CALLS);
}

test('demo pages load cleanly and bad engagekit arguments never throw', { timeout: 60000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  const problems = watchPage(page);
  const warnings = [];
  page.on('console', (msg) => { if (msg.type() === 'warning') warnings.push(msg.text()); });

  for (const file of PAGES) {
    await page.goto('/' + file);
    await waitReady(page);
  }
  for (const view of ['reports', 'settings', 'boards']) {
    await page.goto('/app.html?view=' + view);
    await waitReady(page);
    assert.equal(await page.locator(`#view-${view}`).isVisible(), true, `app view ${view} shows`);
  }
  await sleep(500);
  assert.deepEqual(problems, [], 'no console errors or page errors while loading the demo pages');

  // Before load: delay the loader so the calls go into the snippet's queue stub, and are
  // replayed when the module arrives.
  await context.route('**/engagekit.js', async (route) => { await sleep(700); await route.continue(); });
  await page.goto('/docs.html', { waitUntil: 'domcontentloaded' });
  const stubbed = await page.evaluate(() => !window.engagekit.loaded);
  assert.ok(stubbed, 'the module has not loaded yet, so the calls hit the stub');
  assert.deepEqual(await callAll(page), [], 'no bad call throws into the stub');
  await page.evaluate(() => window.engagekit.track('Still Works', { phase: 'stub' }));
  await waitReady(page);
  await context.unroute('**/engagekit.js');

  // After load.
  assert.deepEqual(await callAll(page), [], 'no bad call throws after load');
  await page.evaluate(() => window.engagekit.track('Still Works', { phase: 'loaded' }));
  await sleep(1000);
  assert.deepEqual(problems, [], 'no console errors or page errors after bad calls');

  // Good calls around the bad ones still get through, once each; the oversized event is
  // refused with a warning naming it.
  const stillWorks = async () => (await query(env.ws.db,
    "SELECT json FROM events WHERE write_key = 'demo' AND type = 'track' AND event = 'Still Works'"))
    .map((r) => JSON.parse(r.json).properties.phase).sort();
  await waitFor(async () => (await stillWorks()).length >= 2, { timeoutMs: 10000, message: 'the two good events' });
  await sleep(1000);
  assert.deepEqual(await stillWorks(), ['loaded', 'stub'], 'both good calls stored exactly once');
  const big = await query(env.ws.db, "SELECT count(*) AS n FROM events WHERE event = 'Too Big'");
  assert.equal(big[0].n, 0, 'an event over 32 KB is not stored');
  assert.ok(warnings.some((w) => w.includes('Too Big')), `a console warning names the oversized event; warnings: ${JSON.stringify(warnings)}`);
  await context.close();
});

test('the consent banner is keyboard accessible and remembered', { timeout: 60000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto('/pricing.html');
  await waitReady(page);
  const banner = page.locator('#consent-banner');
  assert.equal(await banner.isVisible(), true);

  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el ? (el.id || el.textContent.trim()) : null;
  });
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Skip to content');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'What we collect', 'the banner comes first in the tab order');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Decline');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Accept');
  await page.keyboard.press('Enter');
  assert.equal(await banner.isHidden(), true, 'Enter on Accept closes the banner');
  assert.equal(await focused(), 'main', 'focus moves to the main content, not to <body>');
  assert.equal((await page.evaluate(() => window.engagekit.debug())).consent, 'granted');

  await page.reload();
  await waitReady(page);
  assert.equal(await banner.isHidden(), true, 'the choice is remembered');

  // "Privacy settings" reopens it; Decline is then a keyboard press away.
  await page.getByRole('button', { name: 'Privacy settings' }).click();
  assert.equal(await banner.isVisible(), true);
  assert.equal(await focused(), 'Accept', 'focus goes to the current choice');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  assert.equal(await banner.isHidden(), true);
  assert.equal((await page.evaluate(() => window.engagekit.debug())).consent, 'denied');
  assert.deepEqual(problems, []);
  await context.close();
});

// The glue's start (scripts/minify-names.mjs): a server that does not say application/wasm
// makes instantiateStreaming fail, and the module starts from the wasm's bytes instead; a
// wasm that cannot be fetched is one warning, the page's calls still queued and no error.
test('the module starts from a wasm served with the wrong type, and warns once when it cannot fetch it', { timeout: 60000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  let served = 0;
  await context.route('**/engagekit_*_bg.wasm', async (route) => {
    const response = await route.fetch();
    served++;
    await route.fulfill({ response, headers: { ...response.headers(), 'content-type': 'application/octet-stream' } });
  });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto('/docs.html');
  await waitReady(page);
  assert.ok(served >= 1, 'the wasm went through the wrong-type route');
  assert.equal(await page.evaluate(() => WebAssembly.compileStreaming(fetch('/engagekit_core_bg.wasm')).then(() => 'compiled', (e) => e.name)),
    'TypeError', 'the browser refuses to stream a wasm of that type, so the module started from its bytes');
  await page.evaluate(() => window.engagekit.track('Typed Wrong', { n: 1 }));
  await page.evaluate(() => window.engagekit.flush());
  await waitFor(async () => (await query(env.ws.db, "SELECT count(*) AS n FROM events WHERE event = 'Typed Wrong'"))[0].n === 1,
    { timeoutMs: 10000, message: 'the event sent by the module started from bytes' });
  assert.deepEqual(problems.filter((p) => !/MIME type/i.test(p)), [], 'no page errors');

  await context.unroute('**/engagekit_*_bg.wasm');
  await context.route('**/engagekit_*_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  const broken = await context.newPage();
  const brokenProblems = watchPage(broken);
  const warnings = [];
  broken.on('console', (msg) => { if (msg.type() === 'warning') warnings.push(msg.text()); });
  await broken.goto('/docs.html');
  await waitFor(() => warnings.some((w) => w.includes('could not start')), { timeoutMs: 10000, message: 'the could-not-start warning' });
  assert.equal(warnings.filter((w) => w.includes('could not start')).length, 1, `one warning; warnings: ${JSON.stringify(warnings)}`);
  assert.ok(warnings.some((w) => /could not start: Error: failed to fetch .*_bg\.wasm: 404/.test(w)), `the warning names the wasm and its status; warnings: ${JSON.stringify(warnings)}`);
  assert.equal(await broken.evaluate(() => { window.engagekit.track('Queued'); return window.engagekit.q.length > 0; }), true,
    'the page can still call engagekit; its calls wait in the queue');
  assert.deepEqual(brokenProblems.filter((p) => !/404|Failed to load resource/i.test(p)), [], 'no page errors');
  await context.close();
});
