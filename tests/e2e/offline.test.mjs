// (c) The browser goes offline and comes back: events tracked offline arrive exactly once.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, waitReady, debugInfo, expectStoredExactly, eventRows, sleep } from './harness.mjs';

test('events tracked while the browser is offline arrive exactly once when it is back online', { timeout: 90000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  const expected = ['page /app.html'];

  await page.goto('/app.html');
  await waitReady(page);
  await expectStoredExactly(env.ws.db, expected, { settleMs: 300 });

  await context.setOffline(true);
  await page.evaluate(() => { for (let n = 0; n < 7; n++) window.engagekit.track('Offline Event', { n }); });
  for (let n = 0; n < 7; n++) expected.push(`track Offline Event n=${n}`);
  await page.locator('.app-tabs').getByRole('link', { name: 'Settings', exact: true }).click();
  await page.waitForURL('**/app.html?view=settings');
  expected.push('page /app.html?view=settings');
  await sleep(2000); // several flush attempts while offline

  const stored = await eventRows(env.ws.db);
  assert.equal(stored.length, 1, 'nothing can arrive while the browser is offline');
  const during = await debugInfo(page);
  t.diagnostic(`while offline: ${JSON.stringify(during)}`);
  assert.ok(during.queued + during.inflight > 0, 'events are held while offline');

  await context.setOffline(false);
  await page.evaluate(() => window.engagekit.track('Back Online', { n: 0 }));
  expected.push('track Back Online n=0');

  await expectStoredExactly(env.ws.db, expected, { timeoutMs: 45000 });
  assert.equal((await debugInfo(page)).dropped, 0, 'nothing dropped');
  await context.close();
});
