// How the config reaches the module. The module reads only the compiled form the collector
// serves (src/config/compact.rs), which names the smallest build that runs it; the loader
// takes that build. A config passed inline to init makes the page side load the compile
// chunk, which checks the document as the collector checks a published one (every problem one
// console warning naming its path) and compiles it; a page whose config is served never
// downloads that chunk. A compiled form the module cannot read holds everything until consent.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, testConfig, waitReady, watchPage, expectStoredExactly, sleep } from './harness.mjs';

// Three events per batch and a minute's interval (the served test config sends within
// 300 ms): a batch before the third event would mean the inline config is not in force. A
// wrong type (its section keeps its defaults) and a typo (ignored), each one warning.
const INLINE = {
  tracking: { flushAt: 3, flushIntervalMs: 60000 },
  score: { halfLifeDays: 'soon' },
  trackng: { flushAt: 1 },
};

const page = (init) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inline config</title>
<script>
!function(w,k){var e=w[k]=w[k]||{q:[]};"init track page identify reset consent forget flush ready".split(" ").forEach(function(m){e[m]=e[m]||function(){e.q.push([m,[].slice.call(arguments),Date.now()])}})}(window,"engagekit");
${init}
engagekit.track('Inline Call', { n: 0 });
</script>
<script async src="/engagekit.js"></script>
</head><body><h1>Inline config</h1></body></html>`;

async function open(env, html) {
  const context = await env.browser.newContext({ baseURL: env.base });
  await context.route('**/inline-*.html', (route) => route.fulfill({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: html,
  }));
  const p = await context.newPage();
  const problems = watchPage(p);
  const pageErrors = [];
  p.on('pageerror', (err) => pageErrors.push(err.message));
  const warnings = [];
  p.on('console', (msg) => { if (msg.text().startsWith('engagekit:')) warnings.push(msg.text()); });
  const requests = [];
  p.on('request', (req) => requests.push(new URL(req.url()).pathname));
  return { context, page: p, problems, pageErrors, warnings, requests };
}

/** INLINE's tracking settings hold on page `path`: the page view and the page's call wait
 *  (nothing is sent), and a third event sends all three. */
async function waitsForAThird(env, v, path) {
  await sleep(1500);
  assert.ok(!v.requests.includes('/v1/batch'), 'nothing sent with two events queued');
  await v.page.evaluate(() => engagekit.track('Third', { n: 2 }));
  await expectStoredExactly(env.ws.db, [`page ${path}`, 'track Inline Call n=0', 'track Third n=2'], { timeoutMs: 15000 });
}

test('an inline config is checked in the page, then runs as the collector would serve it', { timeout: 40000 }, async (t) => {
  const env = await setup(t);
  const v = await open(env, page(`engagekit.init("demo", { config: ${JSON.stringify(INLINE)} });`));
  await v.page.goto('/inline-a.html');
  await waitReady(v.page);

  assert.ok(v.requests.includes('/engagekit_config_bg.wasm'), 'the compile chunk was loaded');
  assert.ok(!v.requests.some((r) => r.startsWith('/v1/config/')), 'the served config was not fetched');
  t.diagnostic(v.warnings.join('\n'));
  assert.equal(v.warnings.length, 2, `one warning per problem: ${v.warnings.join(' | ')}`);
  assert.equal(v.warnings.filter((w) => /config score\.halfLifeDays: .*score uses its defaults/.test(w)).length, 1);
  assert.equal(v.warnings.filter((w) => /config trackng: unknown key/.test(w)).length, 1);

  await waitsForAThird(env, v, '/inline-a.html');
  assert.deepEqual(v.pageErrors, []);
  assert.deepEqual(v.problems, []);
  await v.context.close();
});

test('a page whose config is served never downloads the compile chunk', { timeout: 40000 }, async (t) => {
  const env = await setup(t);
  const v = await open(env, page('engagekit.init("demo");'));
  await v.page.goto('/inline-b.html');
  await waitReady(v.page);
  await expectStoredExactly(env.ws.db, ['page /inline-b.html', 'track Inline Call n=0'], { timeoutMs: 15000 });
  assert.ok(v.requests.includes('/v1/config/demo'), 'the served config was fetched');
  assert.ok(!v.requests.some((r) => r.includes('engagekit_config')), `no compile chunk: ${v.requests.join(' ')}`);
  assert.deepEqual(v.warnings, []);
  assert.deepEqual(v.pageErrors, []);
  await v.context.close();
});

test('a served config the module cannot read holds everything until consent, with one warning', { timeout: 40000 }, async (t) => {
  const env = await setup(t);
  const v = await open(env, page('engagekit.init("demo");'));
  // Another version's compiled form (a module cached across a collector upgrade, or tampered).
  await v.context.route('**/v1/config/demo', (route) => route.fulfill({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ privacy: { requireConsent: false }, widgets: false, compiled: [99, []] }),
  }));
  await v.page.goto('/inline-c.html');
  await waitReady(v.page);
  await v.page.evaluate(() => engagekit.flush());
  await sleep(1500);
  assert.deepEqual(v.warnings, ['engagekit: config: not a compiled config of this version; nothing is sent before consent']);
  assert.ok(!v.requests.includes('/v1/batch'), 'nothing sent before consent');
  await v.page.evaluate(() => engagekit.consent('granted'));
  await expectStoredExactly(env.ws.db, ['page /inline-c.html', 'track Inline Call n=0'], { timeoutMs: 15000 });
  assert.deepEqual(v.pageErrors, []);
  await v.context.close();
});

test('the loader takes the smallest build the served config names, and it runs the site', { timeout: 60000 }, async (t) => {
  const survey = { text: { en: { question: 'How likely?', low: 'No', high: 'Yes', thanks: 'Thanks' } } };
  const cases = [
    ['core', testConfig()],
    ['content', testConfig({ content: { slots: { hero: { rules: [{ if: {}, variant: 'b' }] } } } })],
    // The tracking build keeps no score: a site that weighs events reads one, so it takes the
    // smallest build that keeps it.
    ['content', testConfig({ score: { weights: { 'Signed Up': 30 } } })],
    ['surveys', testConfig({ surveys: { nps: survey } })],
    ['widgets', testConfig({ surveys: { nps: survey }, checklists: { tour: { text: { en: { title: 'Tour' } }, autoOpen: false, steps: [{ id: 'a', manual: true }] } } })],
  ];
  for (const [build, config] of cases) {
    const env = await setup(t, { config });
    const v = await open(env, page('engagekit.init("demo");'));
    await v.page.goto(`/inline-${build}.html`);
    await waitReady(v.page);
    const builds = v.requests.filter((r) => r.endsWith('_bg.wasm'));
    assert.deepEqual(builds, [`/engagekit_${build}_bg.wasm`], `a ${build} site`);
    // What the build carries answers; what it leaves out says so instead of failing.
    const answers = await v.page.evaluate(() => [typeof engagekit.score(), engagekit.survey('nps')]);
    assert.equal(answers[0], build === 'core' ? 'undefined' : 'number');
    if (build === 'core') {
      assert.ok(v.warnings.some((w) => /score\(\): this site has none in its config/.test(w)), v.warnings.join(' | '));
    }
    if (build === 'core' || build === 'content') {
      assert.ok(v.warnings.some((w) => /survey\(\): this site has none in its config/.test(w)), v.warnings.join(' | '));
    }
    await expectStoredExactly(env.ws.db, [`page /inline-${build}.html`, 'track Inline Call n=0'].concat(
      build === 'surveys' || build === 'widgets' ? ['track Survey Shown'] : [],
      // The checklist's launcher shows on the page view.
      build === 'widgets' ? ['track Checklist Shown'] : [],
    ), { timeoutMs: 15000 });
    assert.deepEqual(v.pageErrors, []);
    await v.context.close();
  }
});

test('the compiled form passed inline is used as it is: no config fetch, no compile chunk', { timeout: 40000 }, async (t) => {
  const env = await setup(t, { config: testConfig({ tracking: INLINE.tracking }) });
  const served = await (await fetch(`${env.base}/v1/config/demo`)).json();
  const v = await open(env, page(`engagekit.init("demo", { config: ${JSON.stringify(served)} });`));
  await v.page.goto('/inline-d.html');
  await waitReady(v.page);
  assert.ok(!v.requests.some((r) => r.startsWith('/v1/config/') || r.includes('engagekit_config')), v.requests.join(' '));
  await waitsForAThird(env, v, '/inline-d.html');
  assert.deepEqual(v.warnings, []);
  assert.deepEqual(v.pageErrors, []);
  await v.context.close();
});
