// Onboarding checklists end to end (issue 10): the demo app with its own checklist (config/
// demo.json: sign up, add a card, move a card to Done, open the reports), the widgets build
// deriving progress from what the visitor does, the checklist widget downloaded only on the
// app, the events in the collector's database.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { ROOT, WRITE_KEY, IDENTITY_SECRET, adminFetch, setup, snippet, testConfig, waitReady, watchPage, eventRows, waitFor, axeViolations } from './harness.mjs';

/** The demo's config with fast batching and without its survey (which has its own test). */
async function demoConfig() {
  const all = JSON.parse(await readFile(path.join(ROOT, 'config', 'demo.json'), 'utf8'));
  const { allowedOrigins, surveys, prompts, ...demo } = all[WRITE_KEY];
  return { ...demo, tracking: testConfig().tracking };
}

const widget = (page) => page.locator('engagekit-checklist');
const launcher = (page) => widget(page).getByRole('button', { name: /Get started/ });

/** The launcher's name ("Get started, 1 of 4 complete") and whether the list is open. */
const state = async (page) => {
  const b = launcher(page);
  return { name: await b.getAttribute('aria-label') || await b.innerText(), expanded: await b.getAttribute('aria-expanded') };
};

const checklistRows = async (db) => (await eventRows(db)).filter((r) => r.event && r.event.startsWith('Checklist '));

test('the demo app\'s checklist ticks itself off as the visitor uses the app, by keyboard, and survives a reload', { timeout: 120000 }, async (t) => {
  const env = await setup(t, { config: await demoConfig() });
  const context = await env.browser.newContext({ baseURL: env.base, viewport: { width: 1200, height: 800 } });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  const problems = watchPage(page);

  // Not on the marketing pages: no widget, no widget code.
  await page.goto('/');
  await waitReady(page);
  await page.waitForTimeout(500);
  assert.equal(await widget(page).count(), 0);
  assert.equal(requests.filter((u) => u.includes('engagekit_checklist.js')).length, 0, 'no checklist code off its audience');

  // On the app: a launcher, collapsed (autoOpen is off), nothing done yet.
  await page.goto('/app.html');
  await waitReady(page);
  await launcher(page).waitFor();
  assert.match((await state(page)).name, /0 of 4/);
  assert.equal((await state(page)).expanded, 'false');
  assert.deepEqual(await axeViolations(page), [], 'axe, list closed');

  // Keyboard: focus the launcher, open the list (focus moves into it).
  await launcher(page).focus();
  await page.keyboard.press('Enter');
  assert.equal((await state(page)).expanded, 'true');
  assert.ok(await widget(page).evaluate((el) => el.shadowRoot.activeElement !== null), 'focus moved into the list');
  assert.deepEqual(await axeViolations(page), [], 'axe, list open');
  await page.keyboard.press('Escape');
  assert.equal((await state(page)).expanded, 'false');

  // Use the app: sign up, add a card, move one to Done, open the reports.
  await page.getByLabel('Name').fill('Ada');
  await page.getByLabel('Work email').fill('ada@example.com');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await waitFor(async () => /1 of 4/.test((await state(page)).name), { message: 'sign-up ticks its step' });
  await page.locator('#new-card').fill('Plan the launch party');
  await page.locator('#new-card').press('Enter');
  await page.getByRole('button', { name: /^Move to Done: / }).first().click();
  await waitFor(async () => /3 of 4/.test((await state(page)).name), { message: 'the card steps tick' });

  // Progress survives a reload.
  await page.reload();
  await waitReady(page);
  await launcher(page).waitFor();
  assert.match((await state(page)).name, /3 of 4/);

  // The last step: the reports view (an SPA route change); the list celebrates.
  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  await waitFor(async () => (await widget(page).count()) === 0 || /4 of 4/.test((await state(page)).name),
    { message: 'the reports step ticks' });
  if (await widget(page).count()) assert.deepEqual(await axeViolations(page), [], 'axe, completed');

  await page.evaluate(() => engagekit.flush());
  const rows = await waitFor(async () => {
    const r = await checklistRows(env.ws.db);
    return r.some((x) => x.event === 'Checklist Completed') && r;
  }, { timeoutMs: 15000, message: 'Checklist Completed stored' });
  const steps = rows.filter((r) => r.event === 'Checklist Step Completed').map((r) => r.body.properties.step_id);
  assert.deepEqual([...steps].sort(), ['card', 'move', 'reports', 'signup'], 'each step once');
  assert.ok(rows.some((r) => r.event === 'Checklist Shown' && r.body.properties.open === true), 'opened by the visitor');

  // The funnel report counts what this visitor did: saw it, opened it, each step, done.
  const expected = JSON.stringify([['eligible', 1], ['shown', 1], ['signup', 1], ['card', 1], ['move', 1], ['reports', 1], ['completed', 1]]);
  let funnel;
  await waitFor(async () => {
    const res = await adminFetch(env, `/api/reports/checklists?writeKey=${WRITE_KEY}&checklist=onboarding`);
    assert.equal(res.status, 200);
    funnel = JSON.stringify((await res.json()).stages.map((s) => [s.step || s.stage, s.visitors]));
    return funnel === expected;
  }, { timeoutMs: 10000, message: `the funnel ${expected} (last: ${funnel})` });

  // Completed: not shown again.
  await page.goto('/app.html');
  await waitReady(page);
  await page.waitForTimeout(500);
  assert.equal(await widget(page).count(), 0, 'a completed checklist gets out of the way');
  assert.deepEqual(problems, []);
});

test('an identified visitor\'s progress follows them to another browser, only with their identity hash', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: await demoConfig() });
  const hash = (user) => createHmac('sha256', IDENTITY_SECRET).update(user).digest('hex');
  const progress = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('engagekit:checklists') || '{}'));
  const visit = async () => {
    const context = await env.browser.newContext({ baseURL: env.base });
    const page = await context.newPage();
    await page.goto('/app.html');
    await waitReady(page);
    return page;
  };

  // Browser 1: signs in (the site's server gave the page the hash) and signs up.
  const one = await visit();
  await one.evaluate((h) => { engagekit.identify('u-ada', { plan: 'pro' }, { userHash: h }); engagekit.track('Signed Up', { plan: 'pro' }); engagekit.flush(); }, hash('u-ada'));
  await waitFor(async () => (await checklistRows(env.ws.db)).some((r) => r.event === 'Checklist Step Completed' && r.user_id === 'u-ada'),
    { message: 'the step stored with the userId' });

  // Browser 2, same person: their progress arrives once they are identified with the hash.
  const two = await visit();
  assert.equal((await progress(two)).onboarding?.steps?.signup, undefined, 'nothing before identify');
  await two.evaluate((h) => engagekit.identify('u-ada', {}, { userHash: h }), hash('u-ada'));
  await waitFor(async () => (await progress(two)).onboarding?.steps?.signup?.[1] > 0, { message: 'progress from browser 1' });
  await launcher(two).waitFor();
  assert.match((await state(two)).name, /1 of 4/);

  // Browser 3 claims to be Ada with a wrong hash, or none: nothing arrives.
  const three = await visit();
  await three.evaluate((h) => engagekit.identify('u-ada', {}, { userHash: h }), hash('u-someone-else'));
  await three.waitForTimeout(1500);
  assert.equal((await progress(three)).onboarding?.steps?.signup, undefined, 'a wrong hash gets nothing');
  const refused = await fetch(`${env.base}/v1/visitors/${WRITE_KEY}/u-ada?hash=${hash('u-someone-else')}`);
  assert.equal(refused.status, 403);
  assert.equal((await fetch(`${env.base}/v1/visitors/${WRITE_KEY}/u-ada`)).status, 401);
});

test('a step completed by code before the module runs is queued, replayed with its time, and stored once', { timeout: 60000 }, async (t) => {
  const config = testConfig({ checklists: { tour: {
    text: { en: { title: 'Take the tour', steps: { welcome: { title: 'Read the welcome' }, invite: { title: 'Invite a colleague' } } } },
    steps: [{ id: 'welcome' }, { id: 'invite', manual: true }],
  } } });
  const env = await setup(t, { config });
  const context = await env.browser.newContext({ baseURL: env.base });
  await context.route('**/site/**', (route) => route.fulfill({
    status: 200, contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tour</title>${snippet()}
<script>window.__at = Date.now(); engagekit.complete('tour', 'welcome');
window.__queued = engagekit.q.some(function (c) { return c[0] == 'complete'; });</script>
</head><body><main><h1>Tour</h1></main></body></html>`,
  }));
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto('/site/tour.html');
  await waitReady(page);
  assert.equal(await page.evaluate(() => window.__queued), true, 'the call went through the snippet\'s queue');
  await widget(page).getByRole('button', { name: /1 of 2/ }).waitFor();
  await page.evaluate(() => engagekit.flush());
  const steps = async () => (await checklistRows(env.ws.db)).filter((r) => r.event === 'Checklist Step Completed');
  await waitFor(async () => (await steps()).length > 0, { message: 'the step stored' });
  // Completing it again after ready (the object form) records nothing more.
  await page.evaluate(() => { engagekit.checklist('tour').complete('welcome'); engagekit.flush(); });
  await page.waitForTimeout(800);
  const rows = await steps();
  assert.equal(rows.length, 1, 'stored exactly once');
  assert.equal(rows[0].body.properties.step_id, 'welcome');
  assert.equal(rows[0].body.properties.how, 'code');
  const at = await page.evaluate(() => window.__at);
  const stamped = Date.parse(rows[0].timestamp);
  assert.ok(stamped >= at && stamped - at < 50, `timestamped when called (${stamped - at} ms after)`);
  assert.deepEqual(problems, []);
});
