// The NPS section of the dashboard, end to end: survey answers posted through /v1/batch as
// the browser module sends them, then the signed-in dashboard shows the score (the value
// computed here from what was sent), its trend as a chart, the score distribution and the
// comments as text (a hostile comment stays text), with no axe-core violations. A survey
// with no answers yet says so.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, WRITE_KEY, setup, testConfig, watchPage, signIn, axeViolations } from './harness.mjs';

const SURVEY = 'demo-nps';
const HOSTILE = '<img src=x onerror=alert(1)>';
/** Φ⁻¹(0.975), as the collector uses for the 95% interval. */
const Z95 = 1.959963984540054;

/** The demo site's surveys (config/demo.json), on the tests' fast tracking settings. */
async function surveyConfig() {
  const demo = JSON.parse(await readFile(path.join(ROOT, 'config', 'demo.json'), 'utf8'));
  assert.ok(demo.demo.surveys[SURVEY], `config/demo.json defines ${SURVEY}`);
  return testConfig({ surveys: demo.demo.surveys });
}

/** UTC noon `daysAgo` days before today, plus `minutes`: two days a week apart never fall
 *  in the same Monday-to-Sunday week, and noon keeps a day's events in one week. */
function at(daysAgo, minutes = 0) {
  const d = new Date();
  d.setUTCHours(12, minutes, 0, 0);
  d.setUTCDate(d.getUTCDate() - daysAgo);
  return d.toISOString();
}

/** Submissions: the day they ran, their final score (null: none), a comment, whether they
 *  were dismissed at the score step. s3 changes its answer from 9 to 3: only 3 counts. */
const SUBMISSIONS = [
  { sub: 's1', day: 8, score: 10, comment: 'Love the new editor' },
  { sub: 's2', day: 8, score: 9 },
  { sub: 's3', day: 8, score: 3, first: 9, comment: HOSTILE },
  { sub: 's4', day: 8, score: null, dismissed: true },
  { sub: 's5', day: 1, score: 9 },
  { sub: 's6', day: 1, score: 7, comment: 'Fine,\nbut a bit slow' },
  { sub: 's7', day: 1, score: 8 },
  { sub: 's8', day: 1, score: 0 },
  { sub: 's9', day: 1, score: 10 },
  { sub: 's10', day: 1, score: 6 },
  { sub: 's11', day: 1, score: null },
  { sub: 's12', day: 1, score: null, dismissed: true },
];

/** The events the browser module would send for SUBMISSIONS (Segment track events). */
function events() {
  const out = [];
  const track = (s, event, minutes, properties) => out.push({
    type: 'track', event, messageId: `nps-${out.length}`, anonymousId: `visitor-${s.sub}`,
    properties: { survey_id: SURVEY, submission_id: s.sub, ...properties }, timestamp: at(s.day, minutes),
  });
  const category = (score) => (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor');
  for (const s of SUBMISSIONS) {
    track(s, 'Survey Shown', 0, { trigger: 'delay', locale: 'en' });
    if (s.first !== undefined) track(s, 'Survey Answered', 1, { score: s.first, category: category(s.first) });
    if (s.score !== null) track(s, 'Survey Answered', 2, { score: s.score, category: category(s.score) });
    if (s.comment) track(s, 'Survey Comment', 3, { category: category(s.score), comment: s.comment });
    if (s.dismissed) track(s, 'Survey Dismissed', 1, { step: 'score' });
  }
  return out;
}

/** NPS and its 95% interval of some final scores, as the collector computes them. */
function nps(scores) {
  const n = scores.length;
  const p = scores.filter((s) => s >= 9).length / n;
  const d = scores.filter((s) => s <= 6).length / n;
  const value = 100 * (p - d);
  const se = 100 * Math.sqrt(Math.max(0, p + d - (p - d) ** 2) / n);
  const clamp = (x) => Math.min(100, Math.max(-100, x));
  return { value, ci: [clamp(value - Z95 * se), clamp(value + Z95 * se)] };
}

const LOCALE = 'en-US';
const fmt = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1, signDisplay: 'exceptZero' });
const pct = new Intl.NumberFormat(LOCALE, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

async function post(env, batch) {
  const res = await fetch(`${env.base}/v1/batch`, {
    method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ writeKey: WRITE_KEY, batch }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await res.json()).accepted, batch.length);
}

test('the dashboard shows each survey\'s NPS, trend, distribution and comments as text; no axe violations', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: await surveyConfig() });
  await post(env, events());

  const answered = SUBMISSIONS.filter((s) => s.score !== null);
  const all = nps(answered.map((s) => s.score));
  const weeks = [8, 1].map((day) => nps(answered.filter((s) => s.day === day).map((s) => s.score)));

  const context = await env.browser.newContext({ baseURL: env.base, locale: LOCALE, viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  const problems = watchPage(page);
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await signIn(page, `/dashboard/?writeKey=${WRITE_KEY}`);

  const survey = page.locator(`[data-survey="${SURVEY}"]`);
  await survey.getByRole('heading', { level: 3, name: `Survey ${SURVEY}` }).waitFor();

  // The headline: the score the test computed from what it sent, and its interval.
  const value = survey.locator('.nps-score data.nps-value');
  assert.equal(await value.textContent(), fmt.format(all.value));
  assert.ok(Math.abs(Number(await value.getAttribute('value')) - all.value) < 1e-9, 'the exact score in value=');
  const headline = survey.locator('dl.headline');
  const text = (await headline.textContent()).replace(/\s+/g, ' ');
  assert.ok(text.includes(`95 % interval: ${fmt.format(all.ci[0])} to ${fmt.format(all.ci[1])}`), text);
  const shown = SUBMISSIONS.length;
  assert.ok(text.includes(`Answered${answered.length}of ${shown} shown`), text);
  assert.ok(text.includes(`Response rate${pct.format(answered.length / shown)}`), text);
  const dismissed = SUBMISSIONS.filter((s) => s.dismissed && s.score === null).length;
  assert.ok(text.includes(`Dismissed without answering${dismissed}counted apart`), text);

  // The trend: a chart drawn, described in words, and a table of the weeks, oldest first.
  const trend = survey.getByRole('img', { name: new RegExp(`^NPS per week, survey ${SURVEY}`) });
  await trend.waitFor();
  assert.match(await trend.getAttribute('aria-label'), new RegExp(`: 2 weeks with answers, from \\${fmt.format(weeks[0].value)} `));
  assert.ok(await survey.locator('figure.nps-trend canvas').evaluate((c) => c.width > 0 && c.height > 0), 'the trend is drawn');
  await survey.locator('figure.nps-trend summary').click();
  const trendRows = survey.getByRole('table', { name: /^NPS per week/ }).locator('tbody tr');
  assert.equal(await trendRows.count(), 2);
  for (const [i, week] of weeks.entries()) {
    const cells = await trendRows.nth(i).locator('th, td').allTextContents();
    assert.equal(cells[3], fmt.format(week.value), `week ${i + 1}: ${cells}`);
  }

  // The distribution: a chart and a row per score 0-10 with its group.
  assert.ok(await survey.locator('figure.nps-distribution canvas[role="img"]').evaluate((c) => c.width > 0), 'the distribution is drawn');
  await survey.locator('figure.nps-distribution summary').click();
  const scoreRows = survey.getByRole('table', { name: /^Answers per score/ }).locator('tbody tr');
  assert.equal(await scoreRows.count(), 11);
  for (const s of [0, 3, 6, 7, 9, 10]) {
    const cells = await scoreRows.nth(s).locator('th, td').allTextContents();
    const n = answered.filter((a) => a.score === s).length;
    const group = s >= 9 ? 'Promoter' : s >= 7 ? 'Passive' : 'Detractor';
    assert.deepEqual(cells.slice(0, 3), [String(s), group, String(n)], `score ${s}`);
  }

  // The comments: text, newest first, each with its group; the hostile one shows literally
  // and creates no element.
  const comments = survey.locator('ol.comments > li');
  const withComment = SUBMISSIONS.filter((s) => s.comment);
  assert.equal(await comments.count(), withComment.length);
  const hostile = comments.filter({ hasText: HOSTILE });
  assert.equal(await hostile.count(), 1, 'the hostile comment shows as its text');
  assert.equal(await hostile.locator('.comment-text').textContent(), HOSTILE);
  assert.match(await hostile.locator('.meta').textContent(), /^Detractor, score 3, /);
  assert.equal(await page.locator('img').count(), 0, 'no <img> made from a comment');
  assert.equal(await comments.filter({ hasText: 'but a bit slow' }).locator('.meta').textContent().then((m) => m.split(',')[0]), 'Passive');

  assert.deepEqual(await axeViolations(page), [], 'dashboard with the NPS section, its tables open');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(problems, [], 'no console or page errors');
});

test('a survey with no answers yet says so', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: await surveyConfig() });
  // Shown once and dismissed: no answer, so no score.
  await post(env, events().filter((e) => e.properties.submission_id === 's4'));
  const context = await env.browser.newContext({ baseURL: env.base, locale: LOCALE });
  const page = await context.newPage();
  const problems = watchPage(page);
  await signIn(page, `/dashboard/?writeKey=${WRITE_KEY}`);

  const survey = page.locator(`[data-survey="${SURVEY}"]`);
  await survey.getByText(/^No answers yet: /).waitFor();
  assert.equal(await survey.locator('data.nps-value').textContent(), '—');
  const text = (await survey.locator('dl.headline').textContent()).replace(/\s+/g, ' ');
  assert.ok(text.includes('Answered0of 1 shown'), text);
  assert.ok(text.includes('Dismissed without answering1'), text);
  assert.equal(await survey.locator('canvas').count(), 0, 'no chart without answers');
  assert.deepEqual(await axeViolations(page), [], 'dashboard, survey without answers');
  assert.deepEqual(problems, []);
});

test('a site whose config defines no survey says so', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: testConfig() });
  const page = await (await env.browser.newContext({ baseURL: env.base, locale: LOCALE })).newPage();
  const problems = watchPage(page);
  await signIn(page, `/dashboard/?writeKey=${WRITE_KEY}`);
  await page.locator('#nps').getByText(/defines no survey/).waitFor();
  assert.match(await page.locator('#status').textContent(), /^Results for demo/);
  assert.deepEqual(problems, []);
});
