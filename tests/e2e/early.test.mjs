// Calls made before the module runs are never lost. The CPU is throttled 6× (a slow phone)
// and the module is slow to arrive; the page tracks right away, then is closed 100 ms after
// load, long before the module runs. The loader keeps the calls: a beacon the collector
// turns into events, and a copy in storage that the next page of the site replays. Every
// call is stored with the time it was made, exactly once, without and with a later visit.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, snippet, testConfig, waitReady, eventRows, waitFor, sleep } from './harness.mjs';

const N = 5;

function earlyPage(loseBeacon = false) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Early</title>
${loseBeacon ? '<script>navigator.sendBeacon = function () { return false; };</script>' : ''}
${snippet(0)}
<script>
window.__made = [];
for (var i = 0; i < ${N}; i++) { var at = Date.now(); __made.push(at); engagekit.track('Early Call', { n: i, madeAt: at }); }
</script></head><body><h1>Early</h1></body></html>`;
}

const early = (rows) => rows.filter((r) => r.event === 'Early Call');

/** Opens `path` (`/early.html`, served as `body`) with the module slow to arrive (a slow
 *  network), and closes it 100 ms after load, long before the module runs; `cpu` throttles
 *  the page's CPU. Returns the context, what `read` found on the page before it closed, and
 *  `arrive()`, after which the module arrives at once. */
async function closedEarly(env, { body, path = '/early.html', read, cpu }) {
  const context = await env.browser.newContext({ baseURL: env.base });
  await context.route((u) => u.pathname === '/early.html', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body }));
  let slow = true;
  await context.route('**/*_bg.wasm', async (route) => {
    if (slow) await sleep(5000);
    route.continue().catch(() => {});
  });
  const page = await context.newPage();
  if (cpu) await (await context.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: cpu });
  await page.goto(path, { waitUntil: 'load' });
  await sleep(100);
  const found = await page.evaluate(read);
  await page.close();
  return { context, found, arrive: () => { slow = false; } };
}

test('calls made before the module runs are stored once, with their times, with and without a later visit', { timeout: 90000 }, async (t) => {
  const env = await setup(t);
  const { context, found, arrive } = await closedEarly(env, {
    body: earlyPage(),
    cpu: 6,
    read: () => ({ started: window.engagekit.q.length === 0 }),
  });
  assert.equal(found.started, false, 'the module has not run when the page closes');

  // Without a later visit: the beacon alone.
  await waitFor(async () => early(await eventRows(env.ws.db)).length >= N,
    { timeoutMs: 15000, message: `${N} early calls stored from the beacon` });
  const check = async (label) => {
    const rows = await eventRows(env.ws.db);
    const calls = early(rows);
    assert.equal(calls.length, N, `${label}: each call once`);
    for (const row of calls) {
      const made = row.body.properties.madeAt;
      const stamped = Date.parse(row.body.timestamp);
      // The page and the snippet read the clock a moment apart (a few ms on a CPU throttled
      // 6×); a time given at replay would be at least 100 ms later.
      assert.ok(stamped >= made && stamped - made <= 20, `${label}: call ${row.body.properties.n} keeps its time (${row.body.timestamp} vs ${made})`);
    }
    assert.deepEqual(calls.map((r) => r.body.properties.n).sort(), [...Array(N).keys()]);
    const views = rows.filter((r) => r.type === 'page' && r.body.context.page.path === '/early.html');
    assert.equal(views.length, 1, `${label}: the bounce's page view counts, once`);
    return rows;
  };
  await check('beacon');

  // With a later visit: the next page replays the stored copy; the collector keeps one each.
  arrive();
  const next = await context.newPage();
  await next.goto('/');
  await waitReady(next);
  await waitFor(async () => (await eventRows(env.ws.db)).some((r) => r.type === 'page' && r.body.context.page.path === '/'),
    { timeoutMs: 15000, message: 'the next page view' });
  await sleep(1500);
  const rows = await check('after a later visit');
  const stored = await next.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('engagekit:early:')));
  assert.deepEqual(stored, [], 'the stored copy was replayed and removed');
  assert.equal(new Set(rows.map((r) => r.message_id)).size, rows.length);
  await context.close();
});

// The beacon is lost (refused by the browser or a blocker): the next page of the site alone replays
// the stored calls, through the module's own calls, on the page they were made on, at their
// times; the next page's own events are on the next page.
test('with the beacon lost, the next page replays the kept calls on the page they were made on', { timeout: 90000 }, async (t) => {
  const env = await setup(t);
  const { context, found: made, arrive } = await closedEarly(env, {
    body: earlyPage(true),
    path: '/early.html?from=ad',
    read: () => window.__made,
  });
  await sleep(1000);
  assert.deepEqual(early(await eventRows(env.ws.db)), [], 'nothing arrived from the closed page');

  arrive();
  const next = await context.newPage();
  await next.goto('/');
  await waitReady(next);
  await next.evaluate(() => window.engagekit.track('After Replay'));
  await waitFor(async () => {
    const rows = await eventRows(env.ws.db);
    return early(rows).length >= N && rows.some((r) => r.event === 'After Replay');
  }, { timeoutMs: 15000, message: 'the replayed calls and the next page\'s own event' });
  await sleep(1000);
  const rows = await eventRows(env.ws.db);
  const calls = early(rows).sort((a, b) => a.body.properties.n - b.body.properties.n);
  assert.equal(calls.length, N, 'each call once');
  calls.forEach((row, i) => {
    const page = row.body.context.page;
    const stamped = Date.parse(row.body.timestamp);
    assert.ok(stamped >= made[i] && stamped - made[i] <= 20, `call ${i} keeps its time (${row.body.timestamp} vs ${made[i]})`);
    assert.deepEqual([page.path, page.search, page.title], ['/early.html', '?from=ad', 'Early'], `call ${i} is on the page it was made on`);
  });
  const views = rows.filter((r) => r.type === 'page');
  assert.deepEqual(views.map((r) => r.body.context.page.path).sort(), ['/', '/early.html'], 'both page views, once each');
  const after = rows.find((r) => r.event === 'After Replay');
  assert.equal(after.body.context.page.path, '/', 'the next page is back for its own events');
  assert.deepEqual(await next.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('engagekit:early:'))), []);
  await context.close();
});

// A checklist step completed by code before the module ran: the collector cannot replay it
// (it has one page's calls, not the visitor's progress), so it waits for the next page of
// the site, which replays it at the time it was made, once.
test('a checklist step completed before the module runs is recorded by the next page, once, with its time', { timeout: 90000 }, async (t) => {
  const config = testConfig({
    checklists: {
      onboarding: {
        text: { en: { title: 'Get started', steps: { connect: { title: 'Connect' }, invite: { title: 'Invite' } } } },
        steps: [{ id: 'connect' }, { id: 'invite' }],
      },
    },
  });
  const env = await setup(t, { config });
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Early</title>
${snippet(0)}
<script>window.__at = Date.now(); engagekit.complete('onboarding', 'connect');</script>
</head><body><h1>Early</h1></body></html>`;
  const { context, found: at, arrive } = await closedEarly(env, { body, read: () => window.__at });

  // The beacon's page view arrives; the step does not.
  const earlyView = (rows) => rows.some((r) => r.type === 'page' && r.body.context.page.path === '/early.html');
  await waitFor(async () => earlyView(await eventRows(env.ws.db)), { timeoutMs: 15000, message: 'the beacon' });
  const steps = (rows) => rows.filter((r) => r.event === 'Checklist Step Completed');
  assert.deepEqual(steps(await eventRows(env.ws.db)), [], 'the collector leaves the step to the next page');

  arrive();
  const next = await context.newPage();
  await next.goto('/');
  await waitReady(next);
  await waitFor(async () => steps(await eventRows(env.ws.db)).length > 0, { timeoutMs: 15000, message: 'the step from the next page' });
  // The card on the next page shows it done (the replay comes after the page view showed it).
  await next.locator('engagekit-checklist').getByRole('button', { name: /Get started, 1 of 2/ }).waitFor({ timeout: 10000 });
  await sleep(1500);
  const done = steps(await eventRows(env.ws.db));
  assert.equal(done.length, 1, 'once');
  assert.equal(done[0].body.properties.step_id, 'connect');
  assert.equal(done[0].body.properties.how, 'code');
  const stamped = Date.parse(done[0].body.timestamp);
  assert.ok(stamped >= at && stamped - at <= 50, `the time it was made (${done[0].body.timestamp} vs ${at})`);
  await context.close();
});
