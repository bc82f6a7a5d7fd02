// Keys and roles, end to end (issue 8): the dashboard needs the admin secret (a sign-in page,
// by keyboard alone, with no axe-core violations), a visitor's page with the public writeKey
// reads nothing from /api, and a page on another origin cannot write with the admin's
// session cookie. Also: long names from visitors wrap instead of pushing numbers away.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  ADMIN_SECRET, WRITE_KEY, setup, testConfig, watchPage, eventRows, signIn, axeViolations, adminFetch,
} from './harness.mjs';

const LONG = 'x'.repeat(6000);

/** Stores Content Viewed events for two visitors straight through /v1/batch. */
async function seed(env) {
  const event = (id, anon, variant) => ({
    type: 'track', event: 'Content Viewed', messageId: id, anonymousId: anon,
    properties: { slot: 'hero', variant }, timestamp: new Date().toISOString(),
  });
  const res = await fetch(`${env.base}/v1/batch`, {
    method: 'POST', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ writeKey: WRITE_KEY, batch: [event('m1', 'v1', 'default'), event('m2', 'v2', LONG)] }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).accepted, 2);
}

test('the dashboard signs in by keyboard, shows the reports, signs out; no axe violations', { timeout: 90000 }, async (t) => {
  // The long variant is one the config defines (reports list only those).
  const hero = { rules: [{ name: 'long', if: { never: true }, variant: LONG }] };
  const env = await setup(t, { config: testConfig({ content: { goal: 'Signed Up', slots: { hero } } }) });
  await seed(env);
  const context = await env.browser.newContext({ baseURL: env.base, viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  const problems = watchPage(page);

  // Signed out, the dashboard sends the visitor to sign in, and back after.
  await page.goto(`/dashboard/?writeKey=${WRITE_KEY}`);
  await page.waitForURL(/\/dashboard\/signin\.html\?next=/);
  const secret = page.getByLabel('Admin secret');
  await secret.waitFor();
  assert.ok(await secret.evaluate((el) => el === document.activeElement), 'the secret field has focus');
  assert.deepEqual(await axeViolations(page), [], 'sign-in page');

  // A wrong secret (the writeKey, say) is refused with an announced message; focus stays.
  await page.keyboard.type(WRITE_KEY);
  await page.keyboard.press('Enter');
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'not the admin secret' }).waitFor();
  assert.equal(await secret.getAttribute('aria-invalid'), 'true');
  assert.ok(await secret.evaluate((el) => el === document.activeElement), 'focus back on the field');
  assert.deepEqual(await axeViolations(page), [], 'sign-in page with its error');

  // The right one, typed and submitted with Enter, lands on the page asked for.
  await page.keyboard.press('Control+A');
  await page.keyboard.type(ADMIN_SECRET);
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname === '/dashboard/' && url.searchParams.get('writeKey') === WRITE_KEY);
  const table = page.getByRole('table', { name: /Slot hero/ });
  await table.waitFor();
  // Event volume over time: a chart described in words, its numbers in a table.
  const chart = page.getByRole('img', { name: /Events received per day, last 30 days/ });
  await chart.waitFor();
  assert.match(await chart.getAttribute('aria-label'), /: 2 in all, most on \d{4}-\d\d-\d\d \(2\)$/);
  assert.ok(await page.evaluate(() => {
    const c = document.querySelector('figure.volume canvas');
    return c.width > 0 && c.height > 0;
  }), 'the chart is drawn');
  await page.getByText('Show the numbers').click();
  const days = page.getByRole('table', { name: /Events received per day/ });
  assert.equal(await days.getByRole('row').count(), 31, 'a header and 30 days');
  assert.deepEqual(await axeViolations(page), [], 'dashboard');

  // A 6,000-character variant wraps: the row's numbers stay in view.
  const row = table.getByRole('row', { name: /^x{20}/ });
  const cells = row.getByRole('cell');
  assert.equal(await cells.first().textContent(), '1');
  const box = await cells.last().boundingBox();
  assert.ok(box && box.x + box.width <= 1024, `the last cell ends at ${box && box.x + box.width}px, inside the viewport`);

  // Sign out by keyboard: the session ends.
  await page.getByRole('button', { name: 'Sign out' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/signin\.html/);
  const after = await page.evaluate(async () => (await fetch('/api/stats?writeKey=demo')).status);
  assert.equal(after, 401);
  assert.deepEqual(problems.filter((p) => !/401|Unauthorized/.test(p)), [], 'no console or page errors');
});

test('a visitor page reads nothing with the writeKey; another origin cannot write with the admin cookie', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: testConfig() });
  await seed(env);
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();

  // The demo page, as any visitor: the writeKey in the query or as Basic auth opens nothing.
  await page.goto('/');
  const statuses = await page.evaluate(async (key) => {
    const out = [];
    for (const path of ['/api/events', '/api/stats', '/api/reports/content', '/api/reports/experiments']) {
      out.push((await fetch(`${path}?writeKey=${key}`)).status);
      out.push((await fetch(`${path}?writeKey=${key}`, { headers: { authorization: `Basic ${btoa(key + ':')}` } })).status);
    }
    out.push((await fetch(`/api/visitors/v1?writeKey=${key}`, { method: 'DELETE' })).status);
    out.push((await fetch(`/v1/visitors/v1?writeKey=${key}`, { method: 'DELETE' })).status);
    return out;
  }, WRITE_KEY);
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 404]);

  // The admin signs in; then a page on another port of the same host (the same *site*, so
  // the SameSite=Strict cookie goes along) tries to erase visitor v1.
  await signIn(page);
  const other = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>other origin</title><h1>other</h1>');
  });
  await new Promise((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.after(() => other.close());
  const attacker = await context.newPage();
  await attacker.goto(`http://127.0.0.1:${other.address().port}/`);
  const attempts = await attacker.evaluate(async (base) => {
    const target = `${base}/api/visitors/v1?writeKey=demo`;
    const out = {};
    try {
      const r = await fetch(target, { method: 'DELETE', credentials: 'include' });
      out.delete = `answered ${r.status}`;
    } catch (e) { out.delete = 'blocked'; }
    try {
      const r = await fetch(`${base}/api/events?writeKey=demo`, { credentials: 'include' });
      out.read = `answered ${r.status}`;
    } catch (e) { out.read = 'blocked'; }
    // A form-like simple POST needs no preflight, and is sent with the cookie.
    await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include', body: 'x' }).catch(() => {});
    return out;
  }, env.base);
  assert.deepEqual(attempts, { delete: 'blocked', read: 'blocked' });
  const ofV1 = async () => (await eventRows(env.ws.db)).filter((r) => r.anonymous_id === 'v1').length;
  assert.equal(await ofV1(), 1, 'nothing erased');

  // The admin, server to server, can.
  const res = await adminFetch(env, `/api/visitors/v1?writeKey=${WRITE_KEY}`, { method: 'DELETE' });
  assert.deepEqual(await res.json(), { deleted: 1 });
  assert.equal(await ofV1(), 0);
  assert.ok((await eventRows(env.ws.db)).some((r) => r.anonymous_id === 'v2'), 'only v1 erased');
});

test('a config published through the admin API reaches the next page without a restart; a rollback returns it', { timeout: 90000 }, async (t) => {
  const base = testConfig({ content: { slots: { hero: { rules: [] } } } });
  const env = await setup(t, { config: base });
  const page = await (await env.browser.newContext({ baseURL: env.base })).newPage();
  const problems = watchPage(page);
  const heading = async () => {
    await page.goto('/');
    await page.waitForFunction(() => document.querySelector('[data-engagekit-slot="hero"]')?.hasAttribute('data-engagekit-shown'), null, { timeout: 10000 });
    return (await page.locator('[data-engagekit-slot="hero"] h1:not([data-engagekit-hidden])').textContent()).trim();
  };
  assert.equal(await heading(), 'Ship work, not status updates.', 'the default, before any change');

  // The product team publishes "everyone sees the engaged hero" over version 1.
  const everyone = { ...base, content: { slots: { hero: { rules: [{ name: 'everyone', if: {}, variant: 'engaged' }] } } } };
  const put = await adminFetch(env, `/api/config?writeKey=${WRITE_KEY}`, {
    method: 'PUT', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: everyone, author: 'e2e', baseVersion: 1 }),
  });
  assert.equal(put.status, 200, await put.clone().text());
  assert.equal((await put.json()).version, 2);
  assert.equal(await heading(), 'Boards work better with your whole team.', 'the new decision, no restart');

  // Rolled back to version 1: the default returns.
  const back = await adminFetch(env, `/api/config/rollback?writeKey=${WRITE_KEY}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 1 }),
  });
  assert.equal((await back.json()).version, 3);
  assert.equal(await heading(), 'Ship work, not status updates.', 'the default again');
  assert.deepEqual(problems, []);
});
