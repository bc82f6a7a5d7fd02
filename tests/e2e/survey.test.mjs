// NPS surveys end to end (issue 9): the README snippet, the loader, the widgets build of the
// module deciding who is asked and when, the survey card downloaded only when it shows, the
// events in the collector's database, and its NPS report. Pages are served at the
// collector's origin by the test (context.route); each visitor is a fresh browser context.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, snippet, testConfig, waitReady, watchPage, eventRows, waitFor, sleep, adminFetch, axeViolations } from './harness.mjs';

const XSS = '<img src=x onerror="window.__xss=1">';

const TEXTS = {
  en: {
    question: 'How likely are you to recommend us?', low: 'Not at all likely', high: 'Extremely likely',
    thanks: 'Thank you!', close: 'Close survey',
    followUp: { promoter: { question: 'What do you like most?', placeholder: 'Tell us' } },
  },
};

/** A config with survey `nps`: `survey` overrides its fields. */
const config = (survey = {}, extra = {}) => testConfig({ surveys: { nps: { text: TEXTS, ...survey } }, ...extra });

/** A page of the test site: its own link (to start keyboard navigation from) and a tall body. */
function sitePage(title) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
${snippet()}
<script>window.__heard = []; window.__pages = [];
engagekit.on('Survey Answered', function (e) { __heard.push(e.properties); });
engagekit.on('page', function (e) { __pages.push(e.context.page.path); });</script>
</head><body><main><h1>${title}</h1><p><a href="/site/other.html">Another page</a></p>
<svg width="10" height="2500" aria-hidden="true"></svg></main></body></html>`;
}

/** A visitor (a fresh context) whose /site/* pages are test pages; records every request. */
async function visitor(env, context) {
  context = context || await env.browser.newContext({ baseURL: env.base, viewport: { width: 1000, height: 700 } });
  await context.route('**/site/**', (route) => route.fulfill({
    status: 200, contentType: 'text/html; charset=utf-8', body: sitePage(new URL(route.request().url()).pathname),
  }));
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  const problems = watchPage(page);
  const warnings = [];
  page.on('console', (m) => { if (m.text().startsWith('engagekit:')) warnings.push(m.text()); });
  return { context, page, problems, warnings, requests, chunk: () => requests.filter((u) => u.includes('engagekit_survey.js')) };
}

/** The survey card's state in `page`: null when none is on screen. */
const card = (page) => page.evaluate(() => {
  const host = document.querySelector('engagekit-survey');
  if (!host) return null;
  const root = host.shadowRoot;
  const visible = [...root.querySelectorAll('.card > div')].find((d) => !d.hidden);
  return {
    question: root.getElementById('q').textContent,
    step: visible && (visible.querySelector('[role=radiogroup]') ? 'score' : visible.querySelector('textarea') ? 'comment' : 'thanks'),
    focus: root.activeElement ? (root.activeElement.getAttribute('role') || root.activeElement.tagName.toLowerCase()) + ':' + root.activeElement.textContent : null,
    images: root.querySelectorAll('img').length,
  };
});

const surveyRows = async (db) => (await eventRows(db)).filter((r) => r.event && r.event.startsWith('Survey '));

test('a returning visitor is asked on the second page view and answers with the keyboard alone', { timeout: 90000 }, async (t) => {
  const env = await setup(t, { config: config({ if: { 'counts.Page Viewed': { $gte: 2 } }, triggers: [{ delayMs: 500 }] }) });
  const v = await visitor(env);
  await v.page.goto('/site/first.html');
  await waitReady(v.page);
  assert.deepEqual(await v.page.evaluate(() => __pages), ['/site/first.html'], 'on() set before the module ran hears the first page view');
  await sleep(1500);
  assert.equal(await card(v.page), null, 'not asked on the first page view');
  assert.deepEqual(v.chunk(), [], 'and the card code was not downloaded');

  await v.page.goto('/site/second.html');
  await waitReady(v.page);
  await waitFor(() => card(v.page), { message: 'the survey card on the second page view' });
  let c = await card(v.page);
  assert.equal(c.question, TEXTS.en.question);
  assert.equal(c.focus, null, 'the card does not take focus when it appears');
  assert.equal(await v.page.evaluate(() => document.activeElement === document.body), true);
  assert.equal(v.chunk().length, 1, 'the card code is downloaded once it shows');
  assert.deepEqual(await axeViolations(v.page), [], 'axe, score step');

  // Keyboard only: Tab from the page's link reaches the scale at 0; arrows move along it.
  await v.page.keyboard.press('Tab'); // the page's link
  await v.page.keyboard.press('Tab'); // the scale
  assert.equal((await card(v.page)).focus, 'radio:0');
  for (let i = 0; i < 9; i++) await v.page.keyboard.press('ArrowRight');
  assert.equal((await card(v.page)).focus, 'radio:9', 'arrow keys move along the scale');
  assert.equal((await surveyRows(env.ws.db)).filter((r) => r.event === 'Survey Answered').length, 0, 'moving is not answering');
  await v.page.keyboard.press('Enter');
  c = await card(v.page);
  assert.equal(c.step, 'comment', 'a promoter gets the promoter follow-up');
  assert.equal(c.focus, 'textarea:', 'focus follows into the follow-up');
  assert.deepEqual(await axeViolations(v.page), [], 'axe, comment step');
  await v.page.keyboard.type(`Fast ${XSS}`);
  await v.page.keyboard.press('Tab');
  await v.page.keyboard.press('Enter');
  assert.equal((await card(v.page)).step, 'thanks');
  assert.deepEqual(await axeViolations(v.page), [], 'axe, thank-you step');
  await v.page.keyboard.press('Escape');
  await waitFor(async () => (await card(v.page)) === null, { message: 'Escape closes the card' });

  // The page's on() listener heard the answer; the collector has one submission.
  assert.deepEqual(await v.page.evaluate(() => __heard.map((p) => [p.score, p.category])), [[9, 'promoter']]);
  await v.page.evaluate(() => engagekit.flush());
  const rows = await waitFor(async () => {
    const r = await surveyRows(env.ws.db);
    return r.length >= 4 && r;
  }, { message: 'Shown, Answered, Comment and Dismissed stored' });
  assert.deepEqual(rows.map((r) => r.event).sort(), ['Survey Answered', 'Survey Comment', 'Survey Dismissed', 'Survey Shown']);
  const subs = new Set(rows.map((r) => r.body.properties.submission_id));
  assert.equal(subs.size, 1, 'one submission id on every event');
  const byName = Object.fromEntries(rows.map((r) => [r.event, r.body.properties]));
  assert.deepEqual([byName['Survey Answered'].score, byName['Survey Answered'].category], [9, 'promoter']);
  assert.equal(byName['Survey Comment'].comment, `Fast ${XSS}`, 'the comment is sent as typed');
  assert.equal(byName['Survey Dismissed'].step, 'thanks');
  assert.equal(await v.page.evaluate(() => window.__xss), undefined);

  // Answered: not asked again on the next page views.
  await v.page.goto('/site/third.html');
  await waitReady(v.page);
  await sleep(1200);
  assert.equal(await card(v.page), null, 'not asked again after an answer');
  assert.deepEqual([...v.problems], []);
  assert.deepEqual(v.warnings, []);
});

test('several visitors answer or dismiss: the NPS report matches the stored rows', { timeout: 120000 }, async (t) => {
  const hostile = { ...TEXTS.en, question: XSS, low: '</style><b>low</b>', high: 'javascript:alert(1)' };
  const env = await setup(t, { config: config({ text: { en: hostile }, theme: { accent: 'red' } }) });
  const answers = [10, 9, 9, 8, 7, 3, 0, 'dismiss', 6, 'dismiss'];
  for (const [i, a] of answers.entries()) {
    const v = await visitor(env);
    await v.page.goto('/site/page.html');
    await waitReady(v.page);
    await v.page.evaluate(() => engagekit.survey('nps'));
    await waitFor(() => card(v.page), { message: 'the survey shown by code' });
    const c = await card(v.page);
    assert.equal(c.question, XSS, 'config text is text');
    assert.equal(c.images, 0, 'no markup from config');
    if (a === 'dismiss') {
      await v.page.locator('engagekit-survey').getByRole('button', { name: 'Close survey' }).click();
    } else {
      await v.page.locator('engagekit-survey').getByRole('radio', { name: String(a), exact: true }).click();
    }
    await v.page.evaluate(() => engagekit.flush());
    assert.equal(await v.page.evaluate(() => window.__xss), undefined);
    assert.deepEqual(v.problems, []);
    await waitFor(async () => (await surveyRows(env.ws.db)).length === 2 * (i + 1), { message: `visitor ${i + 1}'s two events stored` });
    await v.context.close();
  }
  const rows = await waitFor(async () => {
    const r = await surveyRows(env.ws.db);
    return r.filter((x) => x.event === 'Survey Shown').length === answers.length
      && r.filter((x) => x.event !== 'Survey Shown').length === answers.length && r;
  }, { timeoutMs: 20000, message: 'every visitor\'s events stored' });
  // Computed here from the rows, as a product team would from a raw export.
  const scores = rows.filter((r) => r.event === 'Survey Answered').map((r) => r.body.properties.score);
  const n = scores.length;
  const p = scores.filter((s) => s >= 9).length / n;
  const d = scores.filter((s) => s <= 6).length / n;
  const nps = 100 * (p - d);
  const se = 100 * Math.sqrt((p + d - (p - d) ** 2) / n);
  const res = await adminFetch(env, '/api/reports/nps?writeKey=demo&survey=nps');
  assert.equal(res.status, 200);
  const report = await res.json();
  assert.equal(report.shown, answers.length);
  assert.equal(report.answered, n);
  assert.equal(report.dismissed, 2, 'dismissals counted apart');
  assert.ok(Math.abs(report.nps - nps) < 1e-9, `NPS ${report.nps} vs ${nps}`);
  assert.ok(Math.abs(report.ci95[0] - Math.max(-100, nps - 1.959963984540054 * se)) < 1e-6, `CI low ${report.ci95[0]}`);
  assert.ok(Math.abs(report.ci95[1] - Math.min(100, nps + 1.959963984540054 * se)) < 1e-6, `CI high ${report.ci95[1]}`);
});

test('two tabs of one visitor: the survey shows in one of them only', { timeout: 60000 }, async (t) => {
  const env = await setup(t, { config: config({ triggers: [{ delayMs: 800 }] }) });
  const a = await visitor(env);
  const b = await visitor(env, a.context);
  await a.page.goto('/site/a.html');
  await waitReady(a.page);
  await b.page.goto('/site/b.html');
  await waitReady(b.page);
  await waitFor(async () => (await card(a.page)) || (await card(b.page)), { message: 'a survey in one tab' });
  await sleep(1500);
  const shown = [await card(a.page), await card(b.page)].filter(Boolean);
  assert.equal(shown.length, 1, 'one tab shows it');
  await a.page.evaluate(() => engagekit.flush());
  await b.page.evaluate(() => engagekit.flush());
  await sleep(800);
  assert.equal((await surveyRows(env.ws.db)).filter((r) => r.event === 'Survey Shown').length, 1);
});

test('an SPA route change away from a targeted page cancels the pending survey; no card code is downloaded', { timeout: 60000 }, async (t) => {
  const env = await setup(t, { config: config({ if: { path: '/site/pricing.html' }, triggers: [{ delayMs: 1200 }] }) });
  const v = await visitor(env);
  await v.page.goto('/site/pricing.html');
  await waitReady(v.page);
  await v.page.evaluate(() => history.pushState({}, '', '/site/docs.html'));
  await sleep(2500);
  assert.equal(await card(v.page), null, 'the survey did not follow the visitor to /docs');
  assert.deepEqual(v.chunk(), [], 'a visitor who is not asked downloads no survey UI code');
  // Back on the targeted page, its own delay shows it.
  await v.page.evaluate(() => history.pushState({}, '', '/site/pricing.html'));
  await waitFor(() => card(v.page), { message: 'the survey on the targeted page' });
  assert.equal(v.chunk().length, 1);
});
