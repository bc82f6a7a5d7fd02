// A page fires 10,000 track() calls in one task. The tab stays alive and responsive, the
// calls are written to storage once (write-behind, not once per call), and the collector
// stores every event exactly once.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, testConfig, waitReady, query, waitFor } from './harness.mjs';

const N = 10_000;

test('a 10,000-call burst: the tab lives and every event is stored once', { timeout: 120000 }, async (t) => {
  const env = await setup(t, {
    config: testConfig({ tracking: { flushAt: 20, maxQueueEvents: 20000, maxQueueBytes: 50000000 } }),
  });
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('crash', () => errors.push('renderer crashed'));
  await page.goto('/');
  await waitReady(page);

  const result = await page.evaluate((n) => {
    // Count localStorage writes made during the burst and its write-behind task.
    const proto = Object.getPrototypeOf(localStorage);
    const set = proto.setItem;
    let writes = 0;
    proto.setItem = function (k, v) { writes++; return set.call(this, k, v); };
    const t0 = performance.now();
    for (let i = 0; i < n; i++) window.engagekit.track('Burst', { n: i });
    const ms = performance.now() - t0;
    return new Promise((resolve) => setTimeout(() => {
      proto.setItem = set;
      resolve({ ms, writes, queued: window.engagekit.debug().queued });
    }, 0));
  }, N);
  t.diagnostic(`10,000 calls took ${result.ms.toFixed(1)} ms in the page (${(result.ms * 1000 / N).toFixed(1)} µs/call); ` +
    `${result.writes} localStorage writes; ${result.queued} queued after the task`);
  assert.ok(result.writes < N / 10, `write-behind: ${result.writes} writes for ${N} calls`);
  assert.equal(await page.evaluate(() => 1 + 1), 2, 'the tab is alive');

  const counts = await waitFor(async () => {
    const [row] = await query(env.ws.db,
      "SELECT count(*) AS rows, count(DISTINCT message_id) AS ids, count(DISTINCT json_extract(json, '$.properties.n')) AS ns " +
      "FROM events WHERE event = 'Burst'");
    return row.rows >= N ? row : null;
  }, { timeoutMs: 90000, intervalMs: 500, message: `${N} Burst events in the collector` });
  assert.deepEqual(counts, { rows: N, ids: N, ns: N }, 'every event stored exactly once');
  assert.deepEqual(errors, []);
  await context.close();
});

test('1,000 calls in one loop with the default queue bounds: every event delivered', { timeout: 60000 }, async (t) => {
  const env = await setup(t, { config: testConfig({ tracking: { flushAt: 20, flushIntervalMs: 5000 } }) });
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  await page.goto('/');
  await waitReady(page);
  // ~700 bytes of JSON each: 1,000 are more than the default 500 KB bound holds, so batches
  // must leave during the loop.
  await page.evaluate(() => {
    for (let i = 0; i < 1000; i++) window.engagekit.track('Loop', { i, plan: 'pro', source: 'e2e', value: i * 1.5 });
  });
  const counts = await waitFor(async () => {
    const [row] = await query(env.ws.db,
      "SELECT count(*) AS rows, count(DISTINCT json_extract(json, '$.properties.i')) AS ns FROM events WHERE event = 'Loop'");
    return row.rows >= 1000 ? row : null;
  }, { timeoutMs: 30000, intervalMs: 300, message: '1,000 Loop events in the collector' });
  assert.deepEqual(counts, { rows: 1000, ns: 1000 });
  await context.close();
});
