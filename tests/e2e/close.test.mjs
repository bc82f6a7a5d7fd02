// (d) The page is closed right after a track call: the collector holds the event exactly
// once, either through the unload beacon or through the next page load re-sending the
// persisted queue.
import test from 'node:test';
import { setup, waitReady, expectStoredExactly, eventRows, rowKey, sleep } from './harness.mjs';

test('an event tracked right before page.close() is stored exactly once', { timeout: 60000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  const expected = ['page /'];

  const first = await context.newPage();
  await first.goto('/');
  await waitReady(first);
  await expectStoredExactly(env.ws.db, expected, { settleMs: 300 });

  await first.evaluate(() => {
    window.engagekit.track('Closed Right After', { n: 0 });
    window.engagekit.track('Closed Right After', { n: 1 });
  });
  await first.close();
  expected.push('track Closed Right After n=0', 'track Closed Right After n=1');

  await sleep(1000);
  const early = (await eventRows(env.ws.db)).map((r) => rowKey(r)).filter((k) => k.includes('Closed Right After'));
  t.diagnostic(`stored before the next page load (unload path): ${JSON.stringify(early)}`);

  // The next page load from the same browser may re-send what was persisted.
  const second = await context.newPage();
  await second.goto('/pricing.html');
  await waitReady(second);
  expected.push('page /pricing.html');

  await expectStoredExactly(env.ws.db, expected, { timeoutMs: 20000, settleMs: 2000 });
  await context.close();
});
