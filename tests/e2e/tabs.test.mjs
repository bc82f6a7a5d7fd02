// (e) Two tabs of the same site open at once, tracking in both, one closed: every event
// exactly once, and no event sent (and accepted) by both tabs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, waitReady, expectStoredExactly, watchBatches, crossPageDuplicates, sleep } from './harness.mjs';

const PROPS = ['tab', 'n'];

test('two tabs tracking at once, one closed: every event exactly once', { timeout: 60000 }, async (t) => {
  const env = await setup(t);
  const context = await env.browser.newContext({ baseURL: env.base });
  const sends = watchBatches(context);
  const expected = ['page /app.html', 'page /docs.html'];

  const a = await context.newPage();
  const b = await context.newPage();
  await Promise.all([a.goto('/app.html'), b.goto('/docs.html')]);
  await Promise.all([waitReady(a), waitReady(b)]);

  const track = (page, tab, from, to) => page.evaluate(([tab, from, to]) => {
    for (let n = from; n < to; n++) window.engagekit.track('Tab Event', { tab, n });
  }, [tab, from, to]);
  const expect = (tab, from, to) => { for (let n = from; n < to; n++) expected.push(`track Tab Event tab=${tab} n=${n}`); };

  // Interleaved, one at a time.
  for (let n = 0; n < 6; n++) {
    await track(a, 'A', n, n + 1);
    await track(b, 'B', n, n + 1);
  }
  expect('A', 0, 6); expect('B', 0, 6);

  // Bursts at the same moment in both tabs.
  await Promise.all([track(a, 'A', 6, 12), track(b, 'B', 6, 12)]);
  expect('A', 6, 12); expect('B', 6, 12);

  await a.locator('.app-tabs').getByRole('link', { name: 'Reports', exact: true }).click();
  await a.waitForURL('**/app.html?view=reports');
  expected.push('page /app.html?view=reports');

  // Tab B tracks and is closed at once; tab A goes on.
  await track(b, 'B', 12, 15);
  expect('B', 12, 15);
  await b.close();
  await track(a, 'A', 12, 15);
  expect('A', 12, 15);

  await expectStoredExactly(env.ws.db, expected, { timeoutMs: 20000, settleMs: 2000, propKeys: PROPS });

  await sleep(200);
  const dup = crossPageDuplicates(sends);
  t.diagnostic(`batch requests seen: ${sends.length}`);
  assert.deepEqual(dup, [], 'no messageId was sent and accepted from both tabs');
  await context.close();
});
