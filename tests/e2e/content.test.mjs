// Content slots end to end: the README snippet, the loader, the widgets build of the module
// and the collector, in headless Chromium. Pages are served at the collector's origin by the
// test (context.route). Every page records, in requestAnimationFrame (which runs right before
// each paint), what the hero slot would paint: its visibility and the variant it shows, so
// "no flicker" and "never hidden past the timeout" are measured, not assumed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, snippet, testConfig, waitReady, watchPage, eventRows, expectStoredExactly, waitFor, sleep } from './harness.mjs';

const XSS = '<img src=x onerror="window.__xss=1">';

const CONTENT = {
  score: { weights: { 'Trial Started': 20, 'Signed Up': 30, 'Plan Selected': 10, 'Page Viewed': 1 }, halfLifeDays: 7 },
  audience: { tiers: { mid: 20, high: 50 } },
  content: {
    slots: {
      hero: {
        rules: [
          { name: 'pro customers', if: { 'traits.plan': 'pro' }, variant: 'pro' },
          { name: 'engaged', if: { tier: 'high' }, variant: 'engaged' },
        ],
      },
      promo: {
        rules: [{ name: 'spring', if: { 'utm.campaign': 'spring' }, variant: 'spring' }],
        variants: {
          spring: {
            title: XSS,
            body: `${XSS} and <b>bold</b>`,
            cta: { label: '<script>window.__xss=2</script>', href: '/pricing.html?from=<b>' },
            image: '/favicon.svg',
            imageAlt: XSS,
          },
        },
      },
      below: { rules: [{ if: {}, variant: 'v' }] },
      hidden: { rules: [{ if: {}, variant: 'v' }] },
    },
  },
};

/** The test page. `?identify=pro` makes the page identify a Pro customer before the module
 *  has loaded (the snippet queues the call). */
function slotsPage(url, hideMs, extra = '') {
  const identify = new URL(url).searchParams.get('identify');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Slots</title>
${snippet(hideMs)}
<script>
window.__frames = [];
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) { __violations.push(e.violatedDirective); });
(function watch() {
  var h = document.getElementById('hero');
  if (h) {
    var f = [getComputedStyle(h).visibility, h.getAttribute('data-engagekit-shown') || 'undecided', Date.now()];
    var last = __frames[__frames.length - 1];
    if (!last || last[0] != f[0] || last[1] != f[1]) __frames.push(f);
  }
  if (__frames.length < 10) requestAnimationFrame(watch);
})();
${identify ? `engagekit.identify('u-${identify}', { plan: '${identify}' });` : ''}
</script>${extra}
</head><body>
<div id="hero" data-engagekit-slot="hero"><h1>Default hero</h1>
<template data-engagekit-variant="pro"><h1>Hello, Pro customer</h1></template>
<template data-engagekit-variant="engaged"><h1>Welcome back</h1></template></div>
<div id="promo" data-engagekit-slot="promo"><p>Default promo</p></div>
<svg width="10" height="3000" aria-hidden="true"></svg>
<div id="below" data-engagekit-slot="below"><p>Default below</p><template data-engagekit-variant="v"><p>Variant below</p></template></div>
<div hidden><div id="hidden" data-engagekit-slot="hidden"><p>Default hidden</p><template data-engagekit-variant="v"><p>Variant hidden</p></template></div></div>
</body></html>`;
}

/** A visitor (a fresh context) whose /slots*.html pages are the test page. */
async function visitor(env, { hideMs = 300, headers = {}, extra = '' } = {}) {
  const context = await env.browser.newContext({ baseURL: env.base, viewport: { width: 1000, height: 700 } });
  await context.route('**/slots*.html*', (route) => route.fulfill({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    headers,
    body: slotsPage(route.request().url(), hideMs, extra),
  }));
  const page = await context.newPage();
  const problems = watchPage(page);
  const warnings = [];
  page.on('console', (msg) => { if (msg.text().startsWith('engagekit:')) warnings.push(msg.text()); });
  return { context, page, problems, warnings };
}

/** What slot `id` shows: its variant, the text a visitor sees, its visibility. */
const shown = (page, id) => page.evaluate((id) => {
  const el = document.getElementById(id);
  return { variant: el.getAttribute('data-engagekit-shown'), text: el.innerText.replace(/\s+/g, ' ').trim(), visibility: getComputedStyle(el).visibility };
}, id);

/** What the hero slot painted, frame by frame: [visibility, variant, Date.now()]. */
const frames = (page) => page.evaluate(() => window.__frames);

test('each visitor sees the variant their attributes choose, from the first painted frame', { timeout: 60000 }, async (t) => {
  const env = await setup(t, { config: testConfig(CONTENT) });

  // A new visitor: no rule matches, the page's own content.
  const a = await visitor(env, { hideMs: 3000 });
  await a.page.goto('/slots.html');
  await waitReady(a.page);
  assert.deepEqual(await shown(a.page, 'hero'), { variant: 'default', text: 'Default hero', visibility: 'visible' });

  // A Pro customer, identified by the page before the module loaded: the pro template, and
  // never a painted frame of the default first.
  const b = await visitor(env, { hideMs: 3000 });
  await b.page.goto('/slots.html?identify=pro');
  await waitReady(b.page);
  assert.deepEqual(await shown(b.page, 'hero'), { variant: 'pro', text: 'Hello, Pro customer', visibility: 'visible' });
  const painted = (await frames(b.page)).filter((f) => f[0] === 'visible');
  assert.ok(painted.length > 0, 'the hero was painted');
  assert.deepEqual(painted.map((f) => f[1]), ['pro'], `every visible frame shows the decided variant: ${JSON.stringify(await frames(b.page))}`);
  assert.equal(await b.page.locator('#hero h1:visible').count(), 1, 'one heading shows: the default one is hidden');

  // An engaged visitor (score in the high tier) gets the next rule, on the next page view.
  await b.page.evaluate(() => engagekit.reset());
  await b.page.evaluate(() => { engagekit.track('Signed Up'); engagekit.track('Trial Started'); engagekit.track('Plan Selected'); });
  const c = b.page;
  await c.goto('/slots.html');
  await waitReady(c);
  assert.ok(await c.evaluate(() => engagekit.score()) >= 50, 'the visitor is in the high tier');
  assert.deepEqual(await shown(c, 'hero'), { variant: 'engaged', text: 'Welcome back', visibility: 'visible' });

  assert.deepEqual([...a.problems, ...b.problems], [], 'no console errors or page errors');
  assert.deepEqual([...a.warnings, ...b.warnings], [], 'no engagekit warnings');
});

test('a variant written in the config is text: markup in it is never parsed', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: testConfig(CONTENT) });
  const { page, problems } = await visitor(env);
  await page.goto('/slots.html?utm_campaign=spring');
  await waitReady(page);
  const promo = await page.evaluate(() => {
    const el = document.getElementById('promo');
    const built = el.querySelector('.engagekit-content');
    const cta = el.querySelector('a.engagekit-cta');
    const img = el.querySelector('img');
    return {
      variant: el.getAttribute('data-engagekit-shown'),
      title: el.querySelector('h2.engagekit-title')?.textContent,
      body: el.querySelector('p.engagekit-body')?.textContent,
      cta: cta && { text: cta.textContent, href: cta.getAttribute('href') },
      images: [...el.querySelectorAll('img')].map((i) => i.getAttribute('src')),
      alt: img && img.alt,
      elements: [built, ...built.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
      text: el.innerText,
      xss: window.__xss,
    };
  });
  assert.equal(promo.variant, 'spring');
  assert.equal(promo.title, XSS, 'the title shows the payload as text');
  assert.equal(promo.body, `${XSS} and <b>bold</b>`);
  assert.deepEqual(promo.cta, { text: '<script>window.__xss=2</script>', href: '/pricing.html?from=<b>' });
  assert.deepEqual(promo.images, ['/favicon.svg'], 'only the configured image, no <img src=x> from the text');
  assert.equal(promo.alt, XSS, 'alt text is an attribute value, not markup');
  assert.deepEqual(promo.elements, ['div', 'img', 'h2', 'p', 'a'], 'exactly the elements engagekit builds');
  assert.doesNotMatch(promo.text, /Default promo/, "the page's default is hidden");
  await sleep(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no handler or script from the config ran');
  assert.deepEqual(problems, []);
});

test('anything wrong shows the default with one warning; a module that cannot load shows it at once', { timeout: 60000 }, async (t) => {
  const config = testConfig({
    content: {
      slots: {
        hero: { rules: [{ if: {}, variant: 'nope' }] },
        promo: { experiment: { key: 'e', variations: ['only'] } },
        below: { rules: [{ if: { score: { $gtx: 1 } }, variant: 'v' }, { name: 'fallback rule', if: {}, variant: 'default' }] },
        hidden: { variants: { x: { cta: { label: 'Go', href: 'javascript:alert(1)' } } } },
      },
    },
  });
  const env = await setup(t, { config });
  const { page, problems, warnings } = await visitor(env);
  await page.goto('/slots.html');
  await waitReady(page);
  for (const id of ['hero', 'promo', 'below']) {
    const s = await shown(page, id);
    assert.deepEqual(s, { variant: 'default', text: `Default ${id}`, visibility: 'visible' }, id);
  }
  await page.locator('#below').scrollIntoViewIfNeeded();
  await sleep(300);
  // The config is checked where it is published: the collector warned about each problem
  // when it loaded the file, and serves the page what it read (the broken slots show their
  // defaults, the rule with `$gtx` never matches). The page warns only about what it alone
  // can know: a variant its markup does not define.
  assert.match(env.collector.stderr, /content\.slots\.below\.rules\[0\]\.if: .*\$gtx.*unknown operator; this rule never matches/);
  assert.match(env.collector.stderr, /config content\.slots\.promo\.experiment\.variations: expected at least two variant names; the slot shows the page's default content/);
  assert.match(env.collector.stderr, /config content\.slots\.hidden\.variants\.x\.cta\.href: expected an http\(s\) URL or a path on this site; the slot shows/);
  const expected = [/slot "hero": rule 1 shows variant "nope", which the page does not define; showing the default/];
  t.diagnostic(warnings.join('\n'));
  assert.equal(warnings.length, expected.length, `one warning per problem: ${warnings.join(' | ')}`);
  for (const re of expected) assert.equal(warnings.filter((w) => re.test(w)).length, 1, `one warning matching ${re}`);
  assert.deepEqual(problems, []);
  // Tracking goes on: the page view and the slots seen are stored.
  await page.evaluate(() => engagekit.flush());
  await waitFor(async () => (await eventRows(env.ws.db)).some((r) => r.event === 'Content Viewed'), { message: 'Content Viewed stored' });

  // The module is blocked: the snippet's slots are shown with their defaults at once (well
  // before the 3 s the snippet would otherwise wait), with one warning.
  const blocked = await visitor(env, { hideMs: 3000 });
  await blocked.context.route('**/*.wasm', (route) => route.abort());
  const start = Date.now();
  await blocked.page.goto('/slots.html');
  await waitFor(async () => (await shown(blocked.page, 'hero')).visibility === 'visible', { timeoutMs: 2500, message: 'the hero is shown' });
  assert.ok(Date.now() - start < 2500, 'shown before the snippet timeout');
  assert.equal((await shown(blocked.page, 'hero')).text, 'Default hero');
  await waitFor(() => blocked.warnings.length > 0, { message: 'the load warning' });
  assert.match(blocked.warnings[0], /could not start/);
});

test('no slot stays hidden past the timeout; one already seen keeps its default, one below the fold is still decided', { timeout: 60000 }, async (t) => {
  const env = await setup(t, { config: testConfig(CONTENT) });
  const { context, page, problems } = await visitor(env, { hideMs: 300 });
  // The loader arrives 1.5 s late (a slow network).
  await context.route('**/engagekit.js', async (route) => {
    await sleep(1500);
    await route.continue();
  });
  await page.goto('/slots.html?identify=pro');
  await waitReady(page, 15000);
  const deadline = await page.evaluate(() => engagekit._hide[1]);
  const f = await frames(page);
  t.diagnostic(`frames: ${JSON.stringify(f.map(([v, s, at]) => [v, s, at - deadline]))}`);
  assert.equal(f[0][0], 'hidden', 'hidden at first');
  const firstVisible = f.find((x) => x[0] === 'visible');
  assert.ok(firstVisible, 'shown in the end');
  assert.ok(firstVisible[2] - deadline <= 100, `shown at most 100 ms after the timeout (${firstVisible[2] - deadline} ms)`);
  assert.equal(firstVisible[1], 'undecided', 'shown with its default before the module arrived');
  // The hero was on screen with its default: it keeps it (no flicker), though a rule matches.
  assert.deepEqual(await shown(page, 'hero'), { variant: 'default', text: 'Default hero', visibility: 'visible' });
  // The slot below the fold was never seen: it gets its variant.
  assert.equal((await shown(page, 'below')).text, 'Variant below');
  await page.evaluate(() => engagekit.flush());
  const rows = await waitFor(async () => {
    const r = (await eventRows(env.ws.db)).filter((x) => x.event === 'Content Viewed' && x.body.properties.slot === 'hero');
    return r.length ? r : null;
  }, { message: 'Content Viewed for the hero' });
  assert.equal(rows[0].body.properties.reason, 'timeout');
  assert.equal(rows[0].body.properties.variant, 'default');
  assert.deepEqual(problems, []);

  // The same slow load in a background tab: nothing was painted, so the variant is shown.
  const background = await visitor(env, { hideMs: 300 });
  await background.context.addInitScript(() => {
    Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });
  });
  await background.context.route('**/engagekit.js', async (route) => {
    await sleep(1500);
    await route.continue();
  });
  await background.page.goto('/slots.html?identify=pro');
  await waitReady(background.page, 15000);
  assert.equal((await shown(background.page, 'hero')).text, 'Hello, Pro customer');
  // Nor is anything counted as seen while the tab is in the background.
  await sleep(1500);
  await background.page.evaluate(() => engagekit.flush());
  await sleep(500);
  const pro = (await eventRows(env.ws.db)).filter((r) => r.event === 'Content Viewed' && r.body.properties.variant === 'pro');
  assert.deepEqual(pro, [], 'no Content Viewed from the background tab');
});

test('Content Viewed: once per visible slot per page view, never for a hidden one', { timeout: 60000 }, async (t) => {
  const env = await setup(t, { config: testConfig(CONTENT) });
  const { page, problems } = await visitor(env);
  await page.goto('/slots.html');
  await waitReady(page);
  const expected = ['page /slots.html', 'track Content Viewed slot=hero', 'track Content Viewed slot=promo'];
  const store = () => expectStoredExactly(env.ws.db, expected, { propKeys: ['slot'], settleMs: 800 });
  await store();

  // Scrolled past in less than a second: not seen.
  await page.locator('#below').scrollIntoViewIfNeeded();
  await sleep(300);
  await page.evaluate(() => window.scrollTo(0, 0));
  await store();

  // Scroll to the slot below the fold, back up, and down again: one Content Viewed.
  await page.locator('#below').scrollIntoViewIfNeeded();
  expected.push('track Content Viewed slot=below');
  await store();
  await page.evaluate(() => window.scrollTo(0, 0));
  await sleep(200);
  await page.locator('#below').scrollIntoViewIfNeeded();
  await store();

  // SPA navigation: a new page view, and the slots on screen are seen again, once each.
  await page.evaluate(() => history.pushState({}, '', '/slots.html?step=2'));
  expected.push('page /slots.html?step=2', 'track Content Viewed slot=below');
  await store();
  await page.evaluate(() => window.scrollTo(0, 0));
  expected.push('track Content Viewed slot=hero', 'track Content Viewed slot=promo');
  const rows = await store();
  const byPage = rows.filter((r) => r.event === 'Content Viewed').map((r) => `${r.body.properties.slot} ${r.body.context.page.search}`);
  assert.deepEqual(byPage.sort(), ['below ', 'below ?step=2', 'hero ', 'hero ?step=2', 'promo ', 'promo ?step=2']);

  // A router that pushes the new URL and then tears the old route down: its slots were
  // never seen on the new page view.
  await page.evaluate(() => {
    history.pushState({}, '', '/slots.html?step=3');
    setTimeout(() => ['hero', 'promo'].forEach((id) => document.getElementById(id).remove()), 100);
  });
  expected.push('page /slots.html?step=3');
  await expectStoredExactly(env.ws.db, expected, { propKeys: ['slot'], settleMs: 2000 });
  assert.deepEqual(problems, []);
});

test("the page's own nodes are never moved: hidden while a variant shows, back with the default", { timeout: 40000 }, async (t) => {
  const config = testConfig({
    tracking: { autocapture: { pageviews: false } },
    content: { slots: { hero: { rules: [{ if: { 'query.show': 'pro' }, variant: 'pro' }] } } },
  });
  const env = await setup(t, { config });
  // A framework holds its own references to the nodes it rendered.
  const holdDefault = '<script>document.addEventListener("DOMContentLoaded", function () { window.__own = document.querySelector("#hero > h1"); });</script>';
  const { page, problems, warnings } = await visitor(env, { extra: holdDefault });
  await page.goto('/slots.html?show=pro');
  await waitReady(page);
  const own = () => page.evaluate(() => ({
    connected: window.__own.isConnected,
    parent: window.__own.parentNode.id,
    display: getComputedStyle(window.__own).display,
  }));
  assert.deepEqual(await shown(page, 'hero'), { variant: 'pro', text: 'Hello, Pro customer', visibility: 'visible' });
  assert.deepEqual(await own(), { connected: true, parent: 'hero', display: 'none' });

  // The framework renders more into the slot while the variant shows: hidden too.
  await page.evaluate(() => {
    const p = document.createElement('p');
    p.id = 'later';
    p.textContent = 'Rendered later';
    document.getElementById('hero').append(p);
  });
  await sleep(50);
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('later')).display), 'none');

  // SPA navigation to a URL the rule does not match (page events off: still a new page
  // view for content): the same nodes show again, the variant's are gone.
  await page.evaluate(() => history.pushState({}, '', '/slots.html'));
  assert.deepEqual(await shown(page, 'hero'), { variant: 'default', text: 'Default hero Rendered later', visibility: 'visible' });
  assert.deepEqual(await own(), { connected: true, parent: 'hero', display: 'block' });
  assert.equal(await page.locator('#hero h1:visible').count(), 1);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, []);
});

test('a slot added later (SPA) is decided before it is first painted', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: testConfig(CONTENT) });
  const { page, problems, warnings } = await visitor(env);
  await page.goto('/slots.html');
  await waitReady(page);
  const first = await page.evaluate(() => new Promise((resolve) => {
    const el = document.createElement('div');
    el.setAttribute('data-engagekit-slot', 'below');
    const p = document.createElement('p');
    p.textContent = 'Default later';
    const tpl = document.createElement('template');
    tpl.setAttribute('data-engagekit-variant', 'v');
    tpl.content.appendChild(document.createElement('p')).textContent = 'Variant later';
    el.append(p, tpl);
    document.body.prepend(el);
    requestAnimationFrame(() => resolve({ shown: el.getAttribute('data-engagekit-shown'), text: el.innerText.trim() }));
  }));
  assert.deepEqual(first, { shown: 'v', text: 'Variant later' }, 'the first frame already shows the variant');
  // Removing slots never throws (nor warns, which is what a caught throw would do).
  await page.evaluate(() => document.querySelectorAll('[data-engagekit-slot]').forEach((e) => e.remove()));
  await sleep(200);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, []);
});

test('under a strict CSP (no inline styles) the snippet still hides slots until they are decided', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: testConfig(CONTENT) });
  const csp = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self'";
  const { page, problems } = await visitor(env, { hideMs: 3000, headers: { 'Content-Security-Policy': csp } });
  await page.goto('/slots.html?identify=pro');
  await waitReady(page);
  const f = await frames(page);
  assert.equal(f[0][0], 'hidden', `hidden at first: ${JSON.stringify(f)}`);
  assert.deepEqual(f.filter((x) => x[0] === 'visible').map((x) => x[1]), ['pro']);
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
  assert.deepEqual(problems, []);
});
