// Two visitors play through the demo site with its own config (hero by engagement tier, the
// `cta-copy` experiment on the call to action): one sees the "team" variation and starts a
// trial from it, the other sees the default and only compares plans. The product team then
// reads the content report, the experiment report and the dashboard.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, WRITE_KEY, setup, testConfig, waitReady, watchPage, expectStoredExactly, adminFetch, signIn } from './harness.mjs';

/** The demo's config, batching fast and without click autocapture, so every stored event
 *  is one the visitors caused on purpose. */
async function demoConfig() {
  const all = JSON.parse(await readFile(path.join(ROOT, 'config', 'demo.json'), 'utf8'));
  // Without its NPS survey, which would join a visitor's second page view on its own timer,
  // and its checklist (tests/e2e/survey.test.mjs and checklist.test.mjs play them through).
  const { allowedOrigins, surveys, prompts, checklists, ...demo } = all[WRITE_KEY];
  return { ...demo, tracking: testConfig().tracking };
}

/** A browser context for one visitor, whose anonymous id is `id`; a visitor who has
 *  `declined` analytics records nothing. */
async function visitorContext(env, id, declined = false) {
  const context = await env.browser.newContext({ baseURL: env.base, viewport: { width: 1100, height: 800 } });
  // The demo's snippet waits 300 ms for the slots' decision; on a busy machine it can come
  // later, and a default shown past the wait is, rightly, not an exposure the reports count.
  // These tests are about the reports, so the pages wait 3 s (as content.test.mjs's do).
  await context.route((u) => u.pathname === '/' || u.pathname.endsWith('.html'), async (route) => {
    const res = await route.fetch();
    // Without the page's CSP, whose hash names the snippet as served.
    const { 'content-encoding': _, 'content-length': __, 'content-security-policy': ___, ...headers } = res.headers();
    const body = (await res.text()).replace('"engagekit",300)', '"engagekit",3000)');
    route.fulfill({ status: res.status(), headers, body });
  });
  await context.addInitScript(([id, declined]) => {
    if (!localStorage.getItem('engagekit:anonymousId')) localStorage.setItem('engagekit:anonymousId', id);
    if (declined) localStorage.setItem('engagekit:consent', 'denied');
  }, [id, declined]);
  return context;
}

/** Which cta variation the experiment gives visitor `id`: asked of the real page, as a
 *  visitor who declined analytics, so nothing reaches the collector. */
async function variationOf(env, id) {
  const context = await visitorContext(env, id, true);
  const page = await context.newPage();
  await page.goto('/');
  await waitReady(page);
  const variant = await page.getAttribute('[data-engagekit-slot=cta]', 'data-engagekit-shown');
  await context.close();
  return variant;
}

/** One visitor's path through the demo: lands on the home page, accepts analytics, reads
 *  the hero, scrolls to the call to action, sees its `heading` and follows its `link` to
 *  `url` straight away. Returns the
 *  page's console and page errors, a list that fills as they happen. */
async function play(env, id, { heading, link, url }) {
  const page = await (await visitorContext(env, id)).newPage();
  const problems = watchPage(page);
  await page.goto('/');
  await waitReady(page);
  await page.evaluate(() => engagekit.on('Content Viewed', (e) => {
    if (e.properties.slot === 'hero') window.__heroSeen = true;
  }));
  await page.getByRole('button', { name: 'Accept' }).click();
  // Reads the hero: a second on screen makes it seen (waited for, not slept: a busy machine
  // runs the page's timers late).
  await page.waitForFunction(() => window.__heroSeen === true, null, { timeout: 15000 });
  const cta = page.locator('[data-engagekit-slot=cta]');
  await cta.scrollIntoViewIfNeeded();
  assert.equal(await cta.getByRole('heading', { level: 2 }).textContent(), heading);
  await cta.getByRole('link', { name: link }).click(); // at once: the click makes it seen
  await page.waitForURL(url);
  await waitReady(page);
  return problems;
}

test('two visitors through the demo: the content and experiment reports and the dashboard show who saw what and who converted', { timeout: 120000 }, async (t) => {
  const env = await setup(t, { config: await demoConfig() });

  // One visitor of each variation (the ids are fixed, so the same two every run).
  const ids = {};
  for (let i = 1; i <= 30 && !(ids.team && ids.default); i++) {
    const id = `e2e-visitor-${i}`;
    const v = await variationOf(env, id);
    if (!ids[v]) ids[v] = id;
  }
  assert.ok(ids.team && ids.default, `found a visitor for each variation: ${JSON.stringify(ids)}`);
  t.diagnostic(`visitors: ${JSON.stringify(ids)}`);

  // The "team" visitor scrolls to the call to action and starts a team trial from it; the
  // default visitor scrolls to it too, but only compares plans.
  const problems = [
    await play(env, ids.team, { heading: 'Bring your whole team, free for 14 days', link: 'Start a team trial', url: '**/app.html?trial=team' }),
    await play(env, ids.default, { heading: 'Try Pro free for 14 days', link: 'Compare plans', url: '**/pricing.html' }),
  ];

  // Exactly these events, each once: both saw the (low-tier) default hero and their cta
  // variation; only the team visitor started a trial.
  await expectStoredExactly(env.ws.db, [
    'page /', 'track Content Viewed slot=hero variant=default', 'track Content Viewed slot=cta variant=team',
    'track Experiment Viewed variation_id=team', 'track Trial Started plan=team', 'page /app.html?trial=team',
    'page /', 'track Content Viewed slot=hero variant=default', 'track Content Viewed slot=cta variant=default',
    'track Experiment Viewed variation_id=default', 'page /pricing.html',
  ], { propKeys: ['slot', 'variant', 'variation_id', 'plan'], timeoutMs: 20000 });

  // The content report: per slot and variant, visitors exposed and converted to the goal.
  const api = async (p) => {
    const res = await adminFetch(env, `${p}?writeKey=${WRITE_KEY}`);
    assert.equal(res.status, 200, p);
    return res.json();
  };
  const pick = (entry) => Object.fromEntries(entry.variants.map((v) => [v.variant, [v.exposures, v.conversions]]));
  const content = await api('/api/reports/content');
  const slot = (name) => content.slots.find((s) => s.slot === name);
  assert.equal(slot('hero').goal, 'Trial Started');
  assert.deepEqual(pick(slot('hero')), { default: [2, 1] }, 'two saw the default hero, one converted');
  assert.equal(slot('cta').control, 'default');
  assert.deepEqual(pick(slot('cta')), { default: [1, 0], team: [1, 1] });
  const teamRow = slot('cta').variants.find((v) => v.variant === 'team');
  assert.equal(teamRow.rate, 1);
  assert.equal(teamRow.uplift, null, 'no uplift against a control that never converted');
  assert.ok(teamRow.pValue > 0.05 && teamRow.significant === false, 'two visitors prove nothing');

  // The experiment report, from Experiment Viewed.
  const experiments = await api('/api/reports/experiments');
  const exp = experiments.experiments.find((e) => e.experiment === 'cta-copy');
  assert.equal(exp.goal, 'Trial Started');
  assert.deepEqual(pick(exp), { default: [1, 0], team: [1, 1] });

  // The dashboard shows the same numbers to the product team.
  const dash = await (await env.browser.newContext({ baseURL: env.base })).newPage();
  const dashProblems = watchPage(dash);
  await signIn(dash, `/dashboard?writeKey=${WRITE_KEY}`);
  const table = dash.getByRole('table', { name: /Slot cta/ });
  await table.waitFor();
  const row = (variant) => table.getByRole('row', { name: new RegExp(`^${variant} `) }).getByRole('cell');
  assert.deepEqual((await row('team').allTextContents()).slice(0, 3), ['1', '1', '100.0%']);
  assert.deepEqual((await row('default').allTextContents()).slice(0, 3), ['1', '0', '0.0%']);
  assert.ok(await dash.getByRole('table', { name: /Experiment cta-copy/ }).isVisible(), 'the experiment has its table');
  assert.deepEqual(problems.flat(), [], 'no console or page errors on the demo');
  assert.deepEqual(dashProblems, [], 'no console or page errors on the dashboard');
});
