// (a) A scripted visit through the demo site: every event stored exactly once.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, waitReady, debugInfo, watchPage, expectStoredExactly, pageKey, rowKey, waitFor } from './harness.mjs';

const PROPS = ['n', 'plan', 'billing', 'helpful', 'card'];
const EMAIL = 'ada@example.com';

test('a scripted visit stores every event exactly once, with SPA page views, paths and ids', { timeout: 90000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  const problems = watchPage(page);
  const expected = [];
  const nav = (name) => page.locator('.nav-links').getByRole('link', { name, exact: true });

  // Landing page; accept the consent banner.
  await page.goto('/');
  await waitReady(page);
  expected.push('page /');
  const { anonymousId } = await debugInfo(page);
  assert.ok(anonymousId, 'debug().anonymousId is set');
  const banner = page.locator('#consent-banner');
  assert.equal(await banner.isVisible(), true, 'consent banner shows on the first visit');
  await banner.getByRole('button', { name: 'Accept' }).click();
  assert.equal(await banner.isHidden(), true, 'consent banner hides after Accept');

  // Docs: feedback button.
  await nav('Docs').click();
  await page.waitForURL('**/docs.html');
  await waitReady(page);
  expected.push('page /docs.html');
  assert.equal(await banner.isHidden(), true, 'consent choice is remembered across pages');
  await page.getByRole('button', { name: 'Yes', exact: true }).click();
  expected.push('track Docs Feedback helpful=true');

  // Pricing: yearly billing, choose Team (navigates to the app).
  await nav('Pricing').click();
  await page.waitForURL('**/pricing.html');
  await waitReady(page);
  expected.push('page /pricing.html');
  await page.getByText('Yearly (2 months free)').click();
  await page.getByRole('link', { name: 'Choose Team' }).click();
  expected.push('track Plan Selected plan=team billing=yearly');
  await page.waitForURL('**/app.html?plan=team');
  await waitReady(page);
  expected.push('page /app.html?plan=team');
  assert.equal(await page.locator('#signup-plan').inputValue(), 'team');

  // SPA navigation: pushState, replaceState, popstate.
  const tab = (name) => page.locator('.app-tabs').getByRole('link', { name, exact: true });
  await tab('Reports').click();
  await page.waitForURL('**/app.html?view=reports');
  expected.push('page /app.html?view=reports');
  await page.getByRole('button', { name: 'Last 30 days' }).click();
  await page.waitForURL('**/app.html?view=reports&range=30d');
  expected.push('page /app.html?view=reports&range=30d');
  await tab('Settings').click();
  await page.waitForURL('**/app.html?view=settings');
  expected.push('page /app.html?view=settings');
  await page.goBack();
  await page.waitForURL('**/app.html?view=reports&range=30d');
  expected.push('page /app.html?view=reports&range=30d');
  await tab('Boards').click();
  await page.waitForURL('**/app.html?view=boards');
  expected.push('page /app.html?view=boards');

  // Move two cards.
  await page.getByRole('button', { name: 'Move to Doing: \u201cWrite launch announcement\u201d' }).click();
  expected.push('track Card Moved card=c1');
  await page.getByRole('button', { name: 'Move to Done: \u201cDesign pricing page v2\u201d' }).click();
  expected.push('track Card Moved card=c4');

  // Sign up: identify + Signed Up.
  await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await page.getByLabel('Work email', { exact: true }).fill('Ada@Example.com');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();
  expected.push(`identify ${EMAIL}`, 'track Signed Up plan=team');

  // Direct track calls (more than flushAt, so a size-triggered flush happens too).
  await page.evaluate(() => { for (let n = 0; n < 7; n++) window.engagekit.track('Visit Step', { n }); });
  for (let n = 0; n < 7; n++) expected.push(`track Visit Step n=${n}`);

  // Back to the landing page and start a trial (tracks, then navigates at once).
  await nav('Home').click();
  await page.waitForURL(/\/$/);
  await waitReady(page);
  expected.push('page /');
  await page.locator('#start-trial').click();
  expected.push('track Trial Started plan=pro');
  await page.waitForURL('**/app.html?trial=pro');
  await waitReady(page);
  expected.push('page /app.html?trial=pro');

  const rows = await expectStoredExactly(env.ws.db, expected, { timeoutMs: 20000, propKeys: PROPS });

  // Page views carry the right context.page.path / url / title.
  for (const row of rows.filter((r) => r.type === 'page')) {
    const p = row.body.context?.page;
    assert.ok(p, `page row ${pageKey(row)} has context.page`);
    assert.equal(p.path, new URL(p.url).pathname, `context.page.path matches url for ${p.url}`);
  }
  const titleOf = (key) => rows.filter((r) => rowKey(r, PROPS) === key).map((r) => r.body.context.page.title);
  assert.deepEqual(titleOf('page /app.html?view=reports'), ['Reports · Acme Boards']);
  assert.deepEqual(titleOf('page /app.html?view=settings'), ['Settings · Acme Boards']);
  assert.deepEqual(titleOf('page /app.html?view=boards'), ['Boards · Acme Boards']);

  // Track events carry the page they happened on.
  const pathOf = (key) => rows.filter((r) => rowKey(r, PROPS) === key).map((r) => r.body.context?.page?.path);
  assert.deepEqual(pathOf('track Docs Feedback helpful=true'), ['/docs.html']);
  assert.deepEqual(pathOf('track Plan Selected plan=team billing=yearly'), ['/pricing.html']);
  assert.deepEqual(pathOf('track Card Moved card=c1'), ['/app.html']);
  assert.deepEqual(pathOf('track Visit Step n=3'), ['/app.html']);
  assert.deepEqual(pathOf('track Trial Started plan=pro'), ['/']);

  // One anonymousId across every page; body and column agree.
  for (const row of rows) {
    assert.equal(row.anonymous_id, anonymousId, `anonymousId of ${rowKey(row, PROPS)}`);
    assert.equal(row.body.anonymousId, anonymousId);
  }

  // userId: absent before identify, the email after it (persisted across page loads).
  const identify = rows.find((r) => r.type === 'identify');
  assert.equal(identify.user_id, EMAIL);
  assert.deepEqual({ plan: identify.body.traits?.plan, name: identify.body.traits?.name }, { plan: 'team', name: 'Ada Lovelace' });
  const afterIdentify = new Set(['track Signed Up plan=team', 'track Trial Started plan=pro', 'page /app.html?trial=pro',
    ...Array.from({ length: 7 }, (_, n) => `track Visit Step n=${n}`)]);
  const landings = rows.filter((r) => rowKey(r) === 'page /').sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  for (const row of rows) {
    const key = rowKey(row, PROPS);
    const after = row.type === 'identify' || afterIdentify.has(key) || (key === 'page /' && row === landings[1]);
    assert.equal(row.user_id || null, after ? EMAIL : null, `userId of ${key}`);
  }

  // Nothing left behind in the tab, nothing dropped.
  const info = await waitFor(async () => {
    const d = await debugInfo(page);
    return d.queued === 0 && d.inflight === 0 ? d : false;
  }, { timeoutMs: 5000, message: 'debug() to report an empty queue' });
  assert.equal(info.dropped, 0);
  assert.equal(info.anonymousId, anonymousId);

  assert.deepEqual(problems, [], 'no console errors or page errors during the visit');
  await context.close();
});
