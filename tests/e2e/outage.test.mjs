// (b) The collector is stopped for a while and started again on the same port and DB:
// events tracked during the outage arrive exactly once afterwards.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, startCollector, waitReady, debugInfo, expectStoredExactly, eventRows, sleep } from './harness.mjs';

test('events tracked while the collector is down arrive exactly once after it restarts', { timeout: 90000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  const expected = ['page /app.html'];

  await page.goto('/app.html');
  await waitReady(page);
  await expectStoredExactly(env.ws.db, expected, { settleMs: 300 });

  const port = env.collector.port;
  await env.collector.stop();

  // While the collector is down: more events than flushAt, and an SPA page view.
  await page.evaluate(() => { for (let n = 0; n < 8; n++) window.engagekit.track('Outage Event', { n }); });
  for (let n = 0; n < 8; n++) expected.push(`track Outage Event n=${n}`);
  await page.locator('.app-tabs').getByRole('link', { name: 'Reports', exact: true }).click();
  await page.waitForURL('**/app.html?view=reports');
  expected.push('page /app.html?view=reports');
  await sleep(1500); // several flush attempts fail (flushIntervalMs is 300)
  await page.evaluate(() => window.engagekit.track('Outage Event', { n: 8 }));
  expected.push('track Outage Event n=8');
  await sleep(1500);

  const during = await debugInfo(page);
  t.diagnostic(`during the outage: ${JSON.stringify(during)}`);
  assert.ok(during.queued + during.inflight > 0, 'events are held while the collector is down');

  env.collector = await startCollector({ db: env.ws.db, configPath: env.ws.configPath, port });
  assert.equal(env.collector.port, port);

  // New events keep flowing after the restart, too.
  await page.evaluate(() => window.engagekit.track('After Restart', { n: 0 }));
  expected.push('track After Restart n=0');

  const rows = await expectStoredExactly(env.ws.db, expected, { timeoutMs: 45000 });
  const anon = new Set(rows.map((r) => r.anonymous_id));
  assert.equal(anon.size, 1, 'one anonymousId');
  const after = await debugInfo(page);
  assert.equal(after.dropped, 0, 'nothing dropped');
  assert.equal((await eventRows(env.ws.db)).length, expected.length);
  await context.close();
});
