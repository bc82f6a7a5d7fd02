// Accessibility of the demo site and the dashboard at WCAG 2.2 AA, end to end: axe-core (the
// harness's wcag2a/2aa/21a/21aa/22aa rules, label-in-name among them) on every demo page and
// the dashboard, with the consent banner up and after a choice, in every content variant,
// with engagekit's widgets on screen and on a narrow screen; and a keyboard walk through every
// page that fails when the focused element is out of view or entirely hidden behind something
// fixed or sticky (2.4.11 Focus Not Obscured), plus Escape on the consent banner.
//
// The demo's own config (config/demo.json), made deterministic: each content slot shows the
// variant its query parameter names (`/?hero=engaged&cta=team`), the NPS survey shows at once
// on a page with `?survey=demo-nps`. Each browser context is one visitor.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, WRITE_KEY, setup, waitReady, watchPage, signIn, axeViolations } from './harness.mjs';

const DEMO = path.join(ROOT, 'www', 'demo');
/** Every demo page, with the content slots in its markup. */
const PAGES = await Promise.all((await readdir(DEMO)).filter((f) => f.endsWith('.html')).sort().map(async (f) => ({
  url: f === 'index.html' ? '/' : `/${f}`,
  slots: [...(await readFile(path.join(DEMO, f), 'utf8')).matchAll(/data-engagekit-slot="([^"]+)"/g)].map((m) => m[1]),
})));
/** The app's other views: different content on the same page. */
const APP_VIEWS = ['/app.html?view=reports', '/app.html?view=settings'];

/** config/demo.json with every variant a slot can show forced by the query, and every survey
 *  shown at once by `?survey=<id>`. Returns the config and each slot's variants. */
async function demoConfig() {
  const config = JSON.parse(await readFile(path.join(ROOT, 'config', 'demo.json'), 'utf8'))[WRITE_KEY];
  delete config.allowedOrigins; // the test collector listens on a port of its own
  const variants = {};
  for (const [slot, spec] of Object.entries(config.content.slots)) {
    const names = new Set([...(spec.rules || []).map((r) => r.variant), ...(spec.experiment?.variations || []),
      ...Object.keys(spec.variants || {})]);
    names.delete('default');
    variants[slot] = ['default', ...names];
    spec.rules = [...names].map((v) => ({ name: `forced ${v}`, if: { [`query.${slot}`]: v }, variant: v }));
    delete spec.experiment;
  }
  for (const [id, survey] of Object.entries(config.surveys || {})) {
    survey.if = { 'query.survey': id };
    survey.triggers = [{ delayMs: 0 }];
  }
  return { config, variants };
}

/** Loads `url` and waits for the module, every slot's decision and the checklist (on /app). */
async function open(page, url) {
  await page.goto(url);
  await waitReady(page);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-engagekit-slot]')]
    .every((el) => el.hasAttribute('data-engagekit-shown')), null, { polling: 50 });
  if (new URL(page.url()).pathname === '/app.html') await launcher(page).waitFor();
}
const launcher = (page) => page.getByRole('button', { name: /^Get started/ });
const banner = (page) => page.locator('#consent-banner');

/** A visitor: a fresh context and page; with `choose`, one who answered the banner on /. */
async function visitor(env, { choose = false, viewport = { width: 1280, height: 720 } } = {}) {
  const context = await env.browser.newContext({ baseURL: env.base, viewport });
  const page = await context.newPage();
  const problems = watchPage(page);
  if (choose) {
    await open(page, '/');
    await banner(page).getByRole('button', { name: 'Accept' }).click();
    assert.equal(await banner(page).isHidden(), true);
  }
  return { context, page, problems };
}

test('axe finds nothing on the demo pages or the dashboard: banner up or not, every variant, widgets open', { timeout: 120000 }, async (t) => {
  const { config, variants } = await demoConfig();
  const env = await setup(t, { config });
  const found = [];
  const scan = async (page, label) => {
    for (const v of await axeViolations(page)) found.push(`${label}: ${v}`);
  };

  for (const choose of [false, true]) {
    const state = choose ? 'after a choice' : 'banner up';
    const { context, page, problems } = await visitor(env, { choose });
    for (const { url, slots } of PAGES) {
      // The i-th scan shows every slot's i-th variant.
      const scans = Math.max(1, ...slots.map((s) => variants[s].length));
      for (let i = 0; i < scans; i++) {
        const wanted = Object.fromEntries(slots.map((s) => [s, variants[s][i] || 'default']));
        const query = new URLSearchParams(wanted).toString();
        await open(page, url + (query ? `?${query}` : ''));
        assert.equal(await banner(page).isVisible(), !choose, `${url}: the banner is ${choose ? 'gone' : 'up'}`);
        for (const [slot, variant] of Object.entries(wanted)) {
          assert.equal(await page.locator(`[data-engagekit-slot="${slot}"]`).getAttribute('data-engagekit-shown'), variant, `${url}: slot ${slot}`);
        }
        await scan(page, `${url}${query ? `?${query}` : ''}, ${state}`);
        // Long enough in view to count as seen, so the dashboard has content tables to show.
        if (slots.length) await page.waitForTimeout(1100);
      }
    }
    for (const url of APP_VIEWS) {
      await open(page, url);
      await scan(page, `${url}, ${state}`);
    }
    // The onboarding checklist, open.
    await launcher(page).click();
    await page.getByRole('button', { name: 'Collapse the checklist' }).waitFor();
    await scan(page, `/app.html, the checklist open, ${state}`);
    // The NPS survey: its scale, then its follow-up question.
    await open(page, '/pricing.html?survey=demo-nps');
    const scale = page.getByRole('radiogroup', { name: /How likely are you to recommend/ });
    await scale.waitFor();
    await scan(page, `/pricing.html, the survey's scale, ${state}`);
    await scale.getByRole('radio', { name: '9' }).click();
    await page.getByRole('textbox', { name: 'What do you like most?' }).waitFor();
    await scan(page, `/pricing.html, the survey's follow-up, ${state}`);
    await page.evaluate(() => window.engagekit.flush());
    assert.deepEqual(problems, [], `${state}: no console or page errors`);
    await context.close();
  }

  // A narrow screen: what overflows (and so must scroll) depends on the width.
  const narrow = await visitor(env, { viewport: { width: 390, height: 760 } });
  for (const url of [...PAGES.map((p) => p.url), ...APP_VIEWS]) {
    await open(narrow.page, url);
    await scan(narrow.page, `${url}, narrow, banner up`);
  }
  await narrow.context.close();

  // The dashboard, with what these visits recorded (its tables open).
  const { context, page } = await visitor(env);
  await signIn(page, `/dashboard/?writeKey=${WRITE_KEY}`);
  await page.getByRole('table', { name: /Slot hero/ }).waitFor();
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
  await scan(page, '/dashboard/');
  await context.close();

  assert.deepEqual(found, [], 'no axe violations');
});

/**
 * What the focused element looks like in the page: null on <body>; otherwise a stable id (to
 * see focus come round again), a description, whether it is in the viewport, and what fixed
 * or sticky element, if any, covers it entirely and is painted over it. Focus in a shadow
 * root is followed down to the element.
 */
function focusReport() {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const ids = (window.__focusIds ||= new WeakMap());
  if (!ids.has(el)) ids.set(el, (window.__focusCount = (window.__focusCount || 0) + 1));
  const describe = (e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.trim().split(/\s+/).join('.')}` : ''}` +
    ` "${(e.getAttribute('aria-label') || e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40)}"`;
  // Containment across shadow boundaries.
  const within = (outer, inner) => {
    for (let n = inner; n; n = n.parentNode || n.host) if (n === outer) return true;
    return false;
  };
  const all = [];
  const collect = (root) => {
    for (const e of root.querySelectorAll('*')) {
      all.push(e);
      if (e.shadowRoot) collect(e.shadowRoot);
    }
  };
  collect(document);
  const topmost = (x, y) => {
    let hit = document.elementFromPoint(x, y);
    while (hit && hit.shadowRoot) {
      const deeper = hit.shadowRoot.elementFromPoint(x, y);
      if (!deeper || deeper === hit) break;
      hit = deeper;
    }
    return hit;
  };
  const r = el.getBoundingClientRect();
  const view = { width: document.documentElement.clientWidth, height: document.documentElement.clientHeight };
  const hiddenBy = [];
  for (const e of all) {
    const style = getComputedStyle(e);
    if (style.position !== 'fixed' && style.position !== 'sticky') continue;
    if (within(e, el) || within(el, e) || style.visibility === 'hidden') continue;
    const c = e.getBoundingClientRect();
    if (c.width === 0 || c.height === 0) continue;
    if (c.left > r.left || c.top > r.top || c.right < r.right || c.bottom < r.bottom) continue;
    const hit = topmost((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    if (hit && within(e, hit)) hiddenBy.push(describe(e));
  }
  return {
    id: ids.get(el),
    name: describe(el),
    inView: r.bottom > 0 && r.right > 0 && r.top < view.height && r.left < view.width,
    hiddenBy,
  };
}

/** Presses `key` until focus comes back round (at most 200 times); returns the stops and the
 *  problems found at each. */
async function walk(page, key, label) {
  const problems = [];
  const stops = [];
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press(key);
    const f = await page.evaluate(focusReport);
    if (!f) continue; // <body>, between the last element and the first
    if (stops.length && f.id === stops[0]) return { stops, problems };
    stops.push(f.id);
    if (!f.inView) problems.push(`${label}, ${key} #${stops.length}: ${f.name} is out of view`);
    for (const by of f.hiddenBy) problems.push(`${label}, ${key} #${stops.length}: ${f.name} is hidden by ${by}`);
  }
  problems.push(`${label}: focus did not come back round in 200 presses of ${key}`);
  return { stops, problems };
}

test('Tab and Shift+Tab never leave focus hidden behind the banner, the header or a widget; Escape puts the banner away', { timeout: 120000 }, async (t) => {
  const { config } = await demoConfig();
  const env = await setup(t, { config });
  const problems = [];
  const urls = [...PAGES.map((p) => p.url), ...APP_VIEWS];

  for (const choose of [false, true]) {
    const state = choose ? 'after a choice' : 'banner up';
    const v = await visitor(env, { choose });
    for (const url of urls) {
      await open(v.page, url);
      const forward = await walk(v.page, 'Tab', `${url}, ${state}`);
      const back = await walk(v.page, 'Shift+Tab', `${url}, ${state}`);
      problems.push(...forward.problems, ...back.problems);
      assert.ok(forward.stops.length > 5, `${url}: Tab reached ${forward.stops.length} elements`);
      assert.equal(back.stops.length, forward.stops.length, `${url}, ${state}: Shift+Tab reaches as many elements as Tab`);
    }
    // The survey card and the checklist on screen together, and the banner (if up) with them.
    await open(v.page, '/app.html?survey=demo-nps');
    await v.page.getByRole('radiogroup', { name: /How likely/ }).waitFor();
    problems.push(...(await walk(v.page, 'Tab', `/app.html with the survey, ${state}`)).problems);
    assert.deepEqual(v.problems, [], `${state}: no console or page errors`);
    await v.context.close();
  }

  // Narrower screens, where the banner meets the survey card and the checklist launcher.
  const narrow = await visitor(env, { viewport: { width: 390, height: 760 } });
  for (const url of [...urls, '/pricing.html?survey=demo-nps']) {
    await open(narrow.page, url);
    if (url.includes('survey=')) await narrow.page.getByRole('radiogroup', { name: /How likely/ }).waitFor();
    problems.push(...(await walk(narrow.page, 'Tab', `${url}, narrow, banner up`)).problems);
  }
  await narrow.context.close();
  const medium = await visitor(env, { viewport: { width: 1024, height: 768 } });
  await open(medium.page, '/app.html?survey=demo-nps');
  await medium.page.getByRole('radiogroup', { name: /How likely/ }).waitFor();
  problems.push(...(await walk(medium.page, 'Tab', '/app.html with the survey, 1024 px, banner up')).problems);
  await medium.context.close();

  assert.deepEqual(problems, [], 'focus is always in view and never entirely hidden');

  // Escape: the banner goes for this page view, nothing is chosen, and focus stays on the page.
  const { context, page, problems: errors } = await visitor(env);
  await open(page, '/pricing.html');
  const consent = () => page.evaluate(() => [localStorage.getItem('acme-boards:consent'), window.engagekit.debug().consent]);
  const before = await consent();
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el === document.body ? 'body' : el.id || el.textContent.trim();
  });
  await page.keyboard.press('Tab'); // the skip link
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'What we collect', 'focus is in the banner');
  await page.keyboard.press('Escape');
  assert.equal(await banner(page).isHidden(), true, 'Escape in the banner hides it');
  assert.equal(await focused(), 'main', 'focus goes to the main content, not to <body>');
  assert.deepEqual(await consent(), before, 'Escape is not a choice');

  await open(page, '/docs.html');
  assert.equal(await banner(page).isVisible(), true, 'the banner is back on the next page');
  await page.locator('footer').getByRole('link', { name: 'Pricing' }).focus();
  await page.keyboard.press('Escape');
  assert.equal(await banner(page).isHidden(), true, 'Escape with focus elsewhere hides it too');
  assert.equal(await focused(), 'Pricing', 'and focus stays where it was');

  // Reopened from "Privacy settings": Escape sends focus back to that button.
  await page.getByRole('button', { name: 'Privacy settings' }).click();
  assert.equal(await banner(page).isVisible(), true);
  await page.keyboard.press('Escape');
  assert.equal(await banner(page).isHidden(), true);
  assert.equal(await focused(), 'Privacy settings', 'focus goes back to the button that opened it');
  assert.deepEqual(await consent(), before, 'still no choice');

  // The snippet on /docs scrolls sideways: it takes focus, with a name and a visible outline.
  await page.setViewportSize({ width: 390, height: 760 });
  const snippet = page.getByRole('region', { name: 'The snippet', exact: true });
  assert.ok(await snippet.evaluate((el) => el.scrollWidth > el.clientWidth), 'the snippet overflows');
  await snippet.focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((el) => el.scrollLeft > 0, await snippet.elementHandle(), { timeout: 3000 }) // may be animated
    .catch(() => assert.fail('the arrow keys scroll it'));
  assert.notEqual(await snippet.evaluate((el) => getComputedStyle(el).outlineStyle), 'none', 'its focus is visible');
  assert.deepEqual(errors, [], 'no console or page errors');
  await context.close();
});

test('on a narrow screen the survey card leaves the checklist launcher in view', { timeout: 60000 }, async (t) => {
  const { config } = await demoConfig();
  const env = await setup(t, { config });
  const { context, page } = await visitor(env, { choose: true, viewport: { width: 390, height: 760 } });
  await open(page, '/app.html?survey=demo-nps');
  await page.getByRole('radiogroup', { name: /How likely/ }).waitFor();
  const { problems } = await walk(page, 'Tab', '/app.html with the survey, narrow');
  await context.close();
  assert.deepEqual(problems, []);
});
