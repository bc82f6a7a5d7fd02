// The onboarding checklists section of the dashboard, end to end: checklist events posted
// through /v1/batch as the browser module sends them, then the signed-in dashboard shows
// each checklist's funnel as a chart and a table whose numbers (visitors, conversion, median
// time from first seen) are computed here from what was sent; a step id that looks like
// HTML stays text; a checklist nobody saw and a site without checklists say so; no axe-core
// violations.
import test from 'node:test';
import assert from 'node:assert/strict';
import { WRITE_KEY, setup, testConfig, watchPage, signIn, axeViolations } from './harness.mjs';

const CHECKLIST = 'acme-onboarding';
const HOSTILE = '<img src=x onerror=alert(1)>';
/** The config's steps, in its order: the funnel's order. */
const STEPS = ['create-board', 'invite-team', HOSTILE];

const config = () => testConfig({
  checklists: {
    [CHECKLIST]: { title: 'Get started', steps: STEPS.map((id) => ({ id, title: `Do ${id}` })) },
    'nobody-saw': { steps: [{ id: 'create-board' }] },
  },
});

/** Two days ago, so the events are in any range the dashboard shows by default. */
const BASE = Date.now() - 2 * 86400000;

/** What each browser did, in ms after BASE: when the checklist showed (`open`: the list, not
 *  only its launcher), when each step was completed, completion, dismissal, and steps the
 *  config does not define. u2 is one identified visitor on two browsers. v3 does a later
 *  step without an earlier one (steps complete in any order). */
const BROWSERS = [
  { anon: 'v1', shown: 0, open: true, steps: { 'create-board': 60000, 'invite-team': 300000, [HOSTILE]: 400000 }, completed: 400000 },
  { anon: 'v2-laptop', user: 'u2', shown: 1000000, open: true, steps: { 'create-board': 1030000 }, dismissed: 1040000 },
  { anon: 'v2-phone', user: 'u2', shown: 4600000, open: false, steps: { 'create-board': 4610000, 'invite-team': 4720000 }, dismissed: 4730000 },
  { anon: 'v3', shown: 8000000, open: false, steps: { 'invite-team': 8090000 }, unknown: ['old-step'] },
  { anon: 'v4', shown: 9000000, open: true },
  { anon: 'v4', shown: 9100000, open: true },
];

/** The events the browser module would send for BROWSERS (Segment track events). */
function events() {
  const out = [];
  const track = (b, event, ms, properties) => out.push({
    type: 'track', event, messageId: `cl-${out.length}`, anonymousId: b.anon, ...(b.user ? { userId: b.user } : {}),
    properties: { checklist_id: CHECKLIST, ...properties }, timestamp: new Date(BASE + ms).toISOString(),
  });
  for (const b of BROWSERS) {
    track(b, 'Checklist Shown', b.shown, { open: b.open });
    let done = 0;
    for (const [step, ms] of Object.entries(b.steps || {})) {
      done += 1;
      track(b, 'Checklist Step Completed', ms, { step_id: step, completed_count: done, total: STEPS.length, how: 'event' });
    }
    for (const step of b.unknown || []) {
      track(b, 'Checklist Step Completed', b.shown + 1, { step_id: step, completed_count: done, total: STEPS.length, how: 'code' });
    }
    if (b.completed !== undefined) track(b, 'Checklist Completed', b.completed, { total: STEPS.length });
    if (b.dismissed !== undefined) track(b, 'Checklist Dismissed', b.dismissed, { completed_count: done });
  }
  return out;
}

/** The funnel, computed here from BROWSERS: per visitor (user id, else browser) the first
 *  shown and the first time at each stage; visitors and median ms per stage. */
function funnel() {
  const visitors = new Map();
  for (const b of BROWSERS) {
    const key = b.user || b.anon;
    const v = visitors.get(key) || { shown: Infinity, open: false, at: {} };
    v.shown = Math.min(v.shown, b.shown);
    v.open ||= b.open;
    const reach = (stage, ms) => { v.at[stage] = Math.min(v.at[stage] ?? Infinity, ms); };
    for (const [step, ms] of Object.entries(b.steps || {})) reach(step, ms);
    if (b.completed !== undefined) reach('completed', b.completed);
    if (b.dismissed !== undefined) v.dismissed = true;
    visitors.set(key, v);
  }
  const all = [...visitors.values()];
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length === 0 ? null : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const stage = (name) => {
    const reached = all.filter((v) => v.at[name] !== undefined);
    return { visitors: reached.length, median: median(reached.map((v) => v.at[name] - v.shown).filter((ms) => ms >= 0)) };
  };
  const stages = [{ visitors: all.length }, { visitors: all.filter((v) => v.open).length }, ...STEPS.map(stage), stage('completed')];
  stages.forEach((s, i) => { if (i > 0) s.conversion = stages[i - 1].visitors ? s.visitors / stages[i - 1].visitors : null; });
  return { stages, dismissed: all.filter((v) => v.dismissed).length };
}

const LOCALE = 'en-US';
const integer = new Intl.NumberFormat(LOCALE);
const pct = new Intl.NumberFormat(LOCALE, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
/** The medians of this data, as the dashboard writes them in en-US. */
const DURATIONS = { 30000: '30 sec', 45000: '45 sec', 60000: '1 min', 300000: '5 min', 400000: '6 min 40 sec' };

async function post(env, batch) {
  const res = await fetch(`${env.base}/v1/batch`, {
    method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ writeKey: WRITE_KEY, batch }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await res.json()).accepted, batch.length);
}

test('the dashboard shows each checklist\'s funnel as a chart and a table of what was sent; no axe violations', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: config() });
  await post(env, events());
  const expected = funnel();
  // The data is built to show what the funnel is for: u2 once, a step above the one before.
  assert.deepEqual(expected.stages.map((s) => s.visitors), [4, 3, 2, 3, 1, 1]);

  const context = await env.browser.newContext({ baseURL: env.base, locale: LOCALE, viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  const problems = watchPage(page);
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await signIn(page, `/dashboard/?writeKey=${WRITE_KEY}`);

  const section = page.locator('#checklists');
  const block = section.locator(`[data-checklist="${CHECKLIST}"]`);
  await block.getByRole('heading', { level: 3, name: `Checklist ${CHECKLIST}` }).waitFor();

  // The chart: drawn, an image described in words.
  const chart = block.getByRole('img', { name: new RegExp(`^Funnel of checklist ${CHECKLIST}`) });
  await chart.waitFor();
  const first = expected.stages[0].visitors;
  const done = expected.stages.at(-1).visitors;
  assert.equal(await chart.getAttribute('aria-label'),
    `Funnel of checklist ${CHECKLIST}: visitors per stage: ${first} saw it, ${expected.stages[1].visitors} opened the list, ` +
    `${done} completed it (${pct.format(done / first)} of those who saw it)`);
  assert.ok(await chart.evaluate((c) => c.width > 0 && c.height > 0), 'the funnel is drawn');

  // The table: a row per stage in the config's order, the numbers computed here.
  const table = block.getByRole('table', { name: `Funnel of checklist ${CHECKLIST}` });
  const headers = await table.locator('thead th').allTextContents();
  assert.deepEqual(headers, ['Stage', 'Visitors', 'Conversion from the stage before', 'Median time from first seen']);
  const rows = table.locator('tbody tr');
  assert.equal(await rows.count(), STEPS.length + 3);
  const names = ['Saw it (launcher or list)', 'Opened the list', ...STEPS.map((s, i) => `Step ${i + 1}: ${s}`), 'Completed the checklist'];
  for (const [i, s] of expected.stages.entries()) {
    const cells = await rows.nth(i).locator('th, td').allTextContents();
    const timed = i >= 2;
    const median = timed && s.median !== null ? DURATIONS[s.median] : '—';
    assert.ok(median, `a duration text for ${s.median}`);
    const conversion = i === 0 || s.conversion === null ? '—' : pct.format(s.conversion);
    assert.deepEqual(cells, [names[i], integer.format(s.visitors), conversion, median], `stage ${i}`);
    if (timed && s.median !== null) {
      const time = rows.nth(i).locator('time');
      assert.equal(await time.getAttribute('datetime'), `PT${s.median / 1000}S`);
    }
  }
  // invite-team passes create-board: 150 %.
  assert.equal((await rows.nth(3).locator('td').allTextContents())[1], pct.format(1.5));
  assert.equal(await block.locator('.dismissed').textContent(), `Dismissed by ${expected.dismissed} visitor.`);
  assert.match(await block.locator('.unknown-steps').textContent(), /^1 more step completion names a step this config does not define .*; it is not in the funnel\.$/);

  // The hostile step id is text in its row header and makes no element.
  assert.equal(await rows.nth(4).locator('th').textContent(), `Step 3: ${HOSTILE}`);
  assert.equal(await page.locator('img').count(), 0, 'no <img> made from a step id');

  // A checklist nobody saw says so, without a chart.
  const empty = section.locator('[data-checklist="nobody-saw"]');
  await empty.getByText(/^No visitor has seen this checklist yet/).waitFor();
  assert.equal(await empty.locator('canvas, table').count(), 0);

  assert.match(await page.locator('#status').textContent(), /^Results for demo/);
  assert.deepEqual(await axeViolations(page), [], 'dashboard with the checklists section');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(problems, [], 'no console or page errors');
});

test('a site whose config defines no checklist says so', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: testConfig() });
  const page = await (await env.browser.newContext({ baseURL: env.base, locale: LOCALE })).newPage();
  const problems = watchPage(page);
  await signIn(page, `/dashboard/?writeKey=${WRITE_KEY}`);
  await page.locator('#checklists').getByText(/defines no checklist/).waitFor();
  assert.match(await page.locator('#status').textContent(), /^Results for demo/);
  assert.deepEqual(await axeViolations(page), [], 'dashboard without checklists');
  assert.deepEqual(problems, []);
});
