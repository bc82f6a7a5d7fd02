// The onboarding checklist (www/checklist.js) on its own, in headless Chromium: no collector,
// no wasm. A tiny node:http server sends a strict CSP (no 'unsafe-inline' anywhere) and serves
// the esbuild-minified module as shipped; a test-only script file imports it dynamically,
// opens it with the spec in the page's fragment and records the host calls in window.__calls
// (and in sessionStorage, so a call made just before a link navigates can be read on the next
// page). The core's update() is played by page.evaluate. Keyboard alone, roles and names,
// updates that keep focus, the celebration's timer (on Playwright's clock), axe collapsed, open
// and completed, hostile texts and links, narrow and zoomed viewports, RTL, colour schemes,
// reduced motion.
//
// Run: node --test --test-concurrency=1 tests/e2e/checklist-ui.test.mjs
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { axeViolations, chunkBench } from './harness.mjs';

const GZIP_BUDGET = 6 * 1024;
const DONE_MS = 6000; // www/checklist.js

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checklist test</title>
<script src="/watch.js"></script>
<script type="module" src="/test.js"></script>
</head><body><main><h1>Host page</h1><p>The page's own content.</p>
<label>Search <input id="field"></label></main></body></html>`;

// Where a step's link leads: only to see that the visitor got there.
const APP = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>App</title><script src="/watch.js"></script></head>
<body><main><h1>The app</h1></main></body></html>`;

// Before anything else on the page: CSP violations, whatever causes them.
const WATCH = `window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample);
});`;

// Test-only: the page's focus is in its own field, then the checklist opens lazily.
const OPENER = `window.__calls = [];
sessionStorage.removeItem('calls');
var record = function (name) {
  return function (arg) {
    window.__calls.push(arguments.length ? [name, arg] : [name]);
    sessionStorage.setItem('calls', JSON.stringify(window.__calls));
  };
};
var host = {};
['toggled', 'started', 'done', 'dismissed', 'closed'].forEach(function (n) { host[n] = record(n); });
document.getElementById('field').focus();
var spec = JSON.parse(decodeURIComponent(location.hash.slice(1)));
var checklist = await import('/checklist.js');
window.__checklist = checklist.open(spec, host);
window.__opened = true;`;

const TEXTS = {
  title: 'Get started with Acme Boards',
  launcher: 'Get started',
  completed: 'All done! Your team is ready.',
  dismiss: 'Dismiss checklist',
  close: 'Close checklist',
};
const STEPS = [
  { id: 'create-board', title: 'Create a board', description: 'Boards hold your cards.', href: '/app.html', action: 'Open the app', done: true, available: true },
  { id: 'add-card', title: 'Add a card', description: 'Cards are the tasks on a board.', href: '/app.html?step=card', action: 'Open the board', done: false, available: true },
  { id: 'invite', title: 'Invite a teammate', done: false, available: true, manual: true },
  { id: 'connect', title: 'Connect Slack', href: 'https://example.com/slack', done: false, available: false },
];
const SPEC = {
  id: 'onboarding', locale: 'en', rtl: false, placement: 'bottom-right', theme: {}, texts: TEXTS,
  expanded: false, dismissible: true, steps: STEPS,
};
const LOCKED = 'Complete the previous steps first';
const LAUNCHER = (n) => `${TEXTS.launcher}, ${n} of 4 complete`;
/** The steps with those ids done (and, once add-card is done, connect available). */
const progressed = (spec, ...ids) => ({
  ...spec,
  steps: spec.steps.map((s) => ({
    ...s,
    done: s.done || ids.includes(s.id),
    available: s.available || ids.includes('add-card'),
  })),
});
const ALL_DONE = (spec) => progressed(spec, ...spec.steps.map((s) => s.id));

const RTL_SPEC = {
  ...SPEC,
  locale: 'ar',
  rtl: true,
  placement: 'bottom-left',
  texts: {
    title: 'ابدأ مع Acme Boards', launcher: 'ابدأ', completed: 'تم كل شيء!', dismiss: 'إخفاء القائمة', close: 'إغلاق',
    locked: 'أكمل الخطوات السابقة أولًا', markDone: 'وضع علامة كمكتمل', done: 'مكتمل',
    count: '{done} من {total}', progress: '{done} من {total} مكتملة',
  },
  steps: [
    { id: 'create-board', title: 'أنشئ لوحة', href: '/app.html', done: true, available: true },
    { id: 'add-card', title: 'أضف بطاقة', description: 'البطاقات هي المهام.', href: '/app.html', action: 'افتح اللوحة', done: false, available: true },
    { id: 'invite', title: 'ادعُ زميلًا', done: false, available: true, manual: true },
    { id: 'connect', title: 'اربط Slack', done: false, available: false },
  ],
};

let bench;
let base;
let minified;

before(async () => {
  bench = await chunkBench('checklist.js', {
    '/page.html': ['text/html; charset=utf-8', PAGE],
    '/app.html': ['text/html; charset=utf-8', APP],
    '/watch.js': ['text/javascript', WATCH],
    '/test.js': ['text/javascript', OPENER],
  });
  ({ base, minified } = bench);
});

after(async () => {
  if (bench) await bench.close();
});

/** The card the module hands the widget for `spec`, which is written as the visitor sees it
 *  (`locale`, `texts`, each step with its texts): the texts by locale as the config has them
 *  (`text`, the steps' under `steps` by id), each step with only its state; the widget picks
 *  the locale. */
const card = ({ locale, rtl, texts, steps, ...rest }) => ({
  ...rest,
  text: {
    [locale]: {
      ...texts,
      steps: Object.fromEntries(steps.map(({ id, title, description, action }) => [id, { title, description, action }])),
    },
  },
  steps: steps.map(({ id, done, available, manual, href }) => ({ id, done, available, manual, href })),
});

/** A fresh context and page with the widget open (see chunkBench in harness.mjs). */
const openChecklist = (t, spec = SPEC, options) => bench.open(t, card(spec), options);

const calls = (page) => page.evaluate(() => window.__calls);
const update = (page, spec) => page.evaluate((s) => window.__checklist.update(s), card(spec));
const status = (page) => page.evaluate(() => document.querySelector('engagekit-checklist').shadowRoot.querySelector('[role=status]').textContent);

/** What has focus: a page element's id, or "<role or tag> <name>" inside the widget ("li
 *  <title>" for a step's item). */
function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a.tagName !== 'ENGAGEKIT-CHECKLIST') return a ? a.id || a.tagName : null;
    const e = a.shadowRoot.activeElement;
    if (!e) return 'host';
    if (e.tagName === 'LI') return `li ${e.querySelector('.t').firstChild.data}`;
    return `${e.getAttribute('role') || e.tagName.toLowerCase()} ${e.getAttribute('aria-label') || e.textContent}`;
  });
}

/** The steps' titles in list order. */
function order(page) {
  return page.evaluate(() => [...document.querySelector('engagekit-checklist').shadowRoot.querySelectorAll('li')]
    .map((li) => li.querySelector('.t').firstChild.data));
}

/** Chromium's computed accessibility tree (names and descriptions as a screen reader gets them). */
async function axTree(page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  return nodes.filter((n) => !n.ignored).map((n) => ({
    role: n.role?.value, name: n.name?.value ?? '', description: n.description?.value ?? '',
    props: Object.fromEntries((n.properties || []).map((p) => [p.name, p.value?.value])),
  }));
}

async function noAxeViolations(page, where) {
  // Colours are measured once the widget's animations (opacity among them) have run.
  await page.evaluate(() => Promise.all((document.querySelector('engagekit-checklist')?.shadowRoot.getAnimations() || []).map((a) => a.finished)));
  assert.deepEqual(await axeViolations(page), [], `axe at ${where}`);
}

test(`the minified module is at most ${GZIP_BUDGET} bytes gzip`, (t) => {
  const size = gzipSync(minified, { level: 9 }).length;
  t.diagnostic(`checklist.js: ${minified.length} B minified, ${size} B gzip`);
  assert.ok(size <= GZIP_BUDGET, `${size} B gzip`);
});

test('collapsed: a launcher with a progress ring and "1 of 4", no focus taken, nothing recorded; axe finds nothing', { timeout: 30000 }, async (t) => {
  const page = await openChecklist(t);
  await page.waitForTimeout(200);
  assert.equal(await focused(page), 'field', 'focus stays in the page');
  await page.keyboard.type('still typing');
  assert.equal(await page.inputValue('#field'), 'still typing');

  const region = page.getByRole('region', { name: TEXTS.title, exact: true });
  assert.ok(await region.isVisible(), 'a region named by the title');
  const launcher = region.getByRole('button', { name: LAUNCHER(1), exact: true });
  assert.ok(await launcher.isVisible(), 'the launcher names the progress');
  assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
  assert.ok(await launcher.getByText(TEXTS.launcher, { exact: true }).isVisible(), 'its label shows');
  assert.ok(await launcher.getByText('1 of 4', { exact: true }).isVisible(), 'and the count, as text');
  assert.equal(await page.getByRole('list').count(), 0, 'the list is collapsed');

  const shape = await page.evaluate(() => {
    const host = document.querySelector('engagekit-checklist');
    const root = host.shadowRoot;
    const launcher = root.querySelector('[aria-expanded]');
    const svg = launcher.querySelector('svg');
    const controlled = root.getElementById(launcher.getAttribute('aria-controls'));
    const w = root.querySelector('.w');
    const style = getComputedStyle(w);
    return {
      mode: root.mode, last: document.body.lastElementChild === host, dir: w.dir, lang: w.lang, cls: w.className,
      position: style.position, z: Number(style.zIndex),
      styles: root.querySelectorAll('style,[style]').length, sheets: root.adoptedStyleSheets.length,
      svg: svg.namespaceURI, hidden: svg.getAttribute('aria-hidden'), circles: svg.querySelectorAll('circle').length,
      arc: svg.querySelectorAll('circle')[1].getAttribute('stroke-dasharray'),
      controls: !!controlled && controlled.hidden && controlled.contains(root.querySelector('ul')),
    };
  });
  assert.deepEqual(shape, {
    mode: 'open', last: true, dir: 'ltr', lang: 'en', cls: 'w bottom-right', position: 'fixed', z: 2147483000, styles: 0, sheets: 1,
    svg: 'http://www.w3.org/2000/svg', hidden: 'true', circles: 2, arc: '25 100', controls: true,
  });
  assert.deepEqual(await calls(page), [], 'nothing recorded by showing');
  await noAxeViolations(page, 'collapsed');
});

test('expanded from the start: no focus taken; the list in order (next step first, done last), states and names readable; axe finds nothing', { timeout: 30000 }, async (t) => {
  const page = await openChecklist(t, { ...SPEC, expanded: true });
  await page.waitForTimeout(200);
  assert.equal(await focused(page), 'field', 'expanded: true takes no focus either');
  await page.keyboard.type('x');
  assert.equal(await page.inputValue('#field'), 'x');
  assert.deepEqual(await calls(page), [], 'no toggled(): the visitor did not open it');

  const launcher = page.getByRole('button', { name: LAUNCHER(1), exact: true });
  assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
  const list = page.getByRole('list');
  assert.equal(await list.getByRole('listitem').count(), 4);
  assert.deepEqual(await order(page), ['Add a card', 'Invite a teammate', 'Connect Slack', 'Create a board'], 'next, open, locked, done');
  assert.ok(await page.getByText('1 of 4 complete', { exact: true }).isVisible(), 'the progress in the list too');

  const items = await list.getByRole('listitem').allInnerTexts();
  assert.match(items[3], /Create a board/);
  // What a screen reader gets, item by item: the locked step's reason with it, the done step's
  // state in words (its check mark is aria-hidden).
  assert.equal(await list.ariaSnapshot(), [
    '- list:',
    '  - listitem:',
    '    - text: Add a card',
    '    - paragraph: Cards are the tasks on a board.',
    '    - link "Open the board":',
    '      - /url: /app.html?step=card',
    '  - listitem:',
    '    - button "Invite a teammate"',
    `    - 'button "Mark as done: Invite a teammate"': Mark as done`,
    '  - listitem:',
    '    - button "Connect Slack" [disabled]',
    `    - paragraph: ${LOCKED}`,
    '  - listitem:',
    '    - text: Create a board , done',
    '    - paragraph: Boards hold your cards.',
  ].join('\n'));
  assert.match(items[2], new RegExp(LOCKED), 'the locked step says why');
  assert.equal(await page.evaluate(() => document.querySelector('engagekit-checklist').shadowRoot.querySelector('li').getAttribute('aria-current')), 'step');

  const link = page.getByRole('link', { name: 'Open the board', exact: true });
  assert.equal(await link.getAttribute('href'), '/app.html?step=card');
  assert.equal(await page.getByRole('link').count(), 1, 'a done step and a locked step give no link');
  const locked = page.getByRole('button', { name: 'Connect Slack', exact: true });
  assert.equal(await locked.getAttribute('aria-disabled'), 'true');
  assert.equal(await locked.getAttribute('href'), null);
  assert.ok(await page.getByRole('button', { name: 'Mark as done: Invite a teammate', exact: true }).isVisible(), 'manual: a Mark as done named with its step');
  assert.equal(await page.getByRole('button', { name: /^Mark as done/ }).count(), 1, 'only for manual steps');
  assert.ok(await page.getByRole('button', { name: TEXTS.dismiss, exact: true }).isVisible());
  assert.ok(await page.getByRole('button', { name: TEXTS.close, exact: true }).isVisible());

  const ax = await axTree(page);
  const find = (role, name) => ax.find((n) => n.role === role && n.name === name);
  assert.equal(find('link', 'Open the board')?.description, 'Add a card Cards are the tasks on a board.', 'the action says which step');
  assert.equal(find('button', 'Connect Slack')?.description, LOCKED, 'the locked reason read with the control');
  assert.equal(find('button', 'Connect Slack')?.props.disabled, true, 'locked: disabled for assistive technology');
  assert.equal(find('button', LAUNCHER(1))?.props.expanded, true);
  assert.ok(ax.some((n) => n.role === 'StaticText' && n.name === ', done'), 'done read as text');
  await noAxeViolations(page, 'open');
});

test('keyboard alone: Tab to the launcher, Enter opens into the list, Tab through the steps, Enter starts a step, Escape collapses back to the launcher, a link navigates after started()', { timeout: 30000 }, async (t) => {
  const page = await openChecklist(t);
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `button ${LAUNCHER(1)}`, 'Tab from the page reaches the launcher');
  await page.keyboard.press('Enter');
  assert.deepEqual(await calls(page), [['toggled', true]]);
  assert.equal(await page.getByRole('button', { name: LAUNCHER(1) }).getAttribute('aria-expanded'), 'true');
  assert.equal(await focused(page), 'a Open the board', "focus moves into the list, onto the next step's action");

  const tabs = ['button Invite a teammate', 'button Mark as done: Invite a teammate', 'button Connect Slack', `button ${TEXTS.dismiss}`, `button ${TEXTS.close}`];
  for (const to of tabs) {
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), to);
  }
  for (let i = 0; i < 2; i++) await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'button Connect Slack');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Space');
  assert.deepEqual(await calls(page), [['toggled', true]], 'a locked step does nothing');

  for (let i = 0; i < 2; i++) await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'button Invite a teammate');
  await page.keyboard.press('Enter');
  assert.deepEqual(await calls(page), [['toggled', true], ['started', 'invite']]);

  await page.keyboard.press('Escape');
  assert.equal(await focused(page), `button ${LAUNCHER(1)}`, 'Escape: focus back on the launcher');
  assert.equal(await page.getByRole('button', { name: LAUNCHER(1) }).getAttribute('aria-expanded'), 'false');
  assert.equal(await page.getByRole('list').count(), 0);
  await page.keyboard.press('Escape');
  assert.deepEqual(await calls(page), [['toggled', true], ['started', 'invite'], ['toggled', false]], 'Escape when collapsed: nothing');

  await page.keyboard.press('Space');
  assert.equal(await focused(page), 'a Open the board');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'button Mark as done: Invite a teammate');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `button ${TEXTS.close}`);
  await page.keyboard.press('Enter');
  assert.equal(await focused(page), `button ${LAUNCHER(1)}`, 'the close button collapses to the launcher');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter'); // on the link
  await page.waitForURL(`${base}/app.html?step=card`);
  assert.deepEqual(JSON.parse(await page.evaluate(() => sessionStorage.getItem('calls'))), [
    ['toggled', true], ['started', 'invite'], ['toggled', false], ['toggled', true], ['toggled', false], ['toggled', true], ['started', 'add-card'],
  ], 'started() before the link navigated');
});

test('update(): a step done elsewhere is marked, announced and animated without moving focus or the open state', { timeout: 30000 }, async (t) => {
  const page = await openChecklist(t);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'button Invite a teammate');
  await page.evaluate(() => { document.querySelector('engagekit-checklist').shadowRoot.activeElement.__mark = 1; });

  await update(page, progressed(SPEC, 'add-card'));
  assert.equal(await focused(page), 'button Invite a teammate', 'focus stays');
  assert.equal(await page.evaluate(() => document.querySelector('engagekit-checklist').shadowRoot.activeElement.__mark), 1, 'on the very same element');
  assert.equal(await status(page), 'Add a card: done. 2 of 4 complete.');
  assert.equal(await page.getByRole('status').getAttribute('aria-live'), 'polite');
  assert.equal(await page.getByRole('button', { name: LAUNCHER(2) }).getAttribute('aria-expanded'), 'true', 'still open');
  assert.deepEqual(await order(page), ['Invite a teammate', 'Connect Slack', 'Create a board', 'Add a card']);
  const fresh = await page.evaluate(() => {
    const li = [...document.querySelector('engagekit-checklist').shadowRoot.querySelectorAll('li')].find((l) => l.textContent.includes('Add a card'));
    return { cls: li.className, animation: getComputedStyle(li).animationName, current: li.getAttribute('aria-current') };
  });
  assert.deepEqual(fresh, { cls: 'done new', animation: 'ek-done', current: null });
  assert.equal(await page.getByRole('link', { name: 'Connect Slack', exact: true }).getAttribute('href'), 'https://example.com/slack', 'unlocked: now a link');
  assert.equal(await page.evaluate(() => document.querySelector('engagekit-checklist').shadowRoot.querySelector('circle + circle').getAttribute('stroke-dasharray')), '50 100');
  await noAxeViolations(page, 'open, after an update');

  // The focused step itself done in another tab: its action goes, focus stays on its item.
  await update(page, progressed(SPEC, 'add-card', 'invite'));
  assert.equal(await focused(page), 'li Invite a teammate', 'focus kept on the step, not dropped to the page');
  assert.equal(await status(page), 'Invite a teammate: done. 3 of 4 complete.');
  assert.deepEqual(await order(page), ['Connect Slack', 'Create a board', 'Add a card', 'Invite a teammate'], 'focus went with its item, among the done');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'a Connect Slack', 'and Tab goes on from there');
  await update(page, progressed(SPEC, 'add-card', 'invite'));
  assert.equal(await focused(page), 'a Connect Slack', 'an update with nothing new: focus stays');
  assert.equal(await status(page), 'Invite a teammate: done. 3 of 4 complete.', 'and nothing more is announced');

  await page.keyboard.press('Escape');
  await update(page, { ...progressed(SPEC, 'add-card', 'invite'), expanded: true });
  assert.equal(await page.getByRole('button', { name: LAUNCHER(3) }).getAttribute('aria-expanded'), 'false', "the visitor's collapse holds");
  assert.equal(await focused(page), `button ${LAUNCHER(3)}`);
  assert.deepEqual(await calls(page), [['toggled', true], ['toggled', false]], 'updates record nothing');
});

test('Mark as done: done(id), the step done at once and announced, focus kept on it; the core confirming it announces nothing more', { timeout: 30000 }, async (t) => {
  const page = await openChecklist(t, { ...SPEC, expanded: true });
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'button Mark as done: Invite a teammate');
  await page.keyboard.press('Enter');
  assert.deepEqual(await calls(page), [['done', 'invite']]);
  assert.equal(await focused(page), 'li Invite a teammate');
  assert.equal(await status(page), 'Invite a teammate: done. 2 of 4 complete.');
  assert.equal(await page.getByRole('button', { name: /Mark as done/ }).count(), 0);
  assert.equal(await page.getByRole('button', { name: LAUNCHER(2), exact: true }).count(), 1);
  await page.evaluate(() => { document.querySelector('engagekit-checklist').shadowRoot.querySelector('[role=status]').textContent = ''; });
  await update(page, progressed(SPEC, 'invite'));
  assert.equal(await status(page), '', 'not announced twice');
  assert.equal(await focused(page), 'li Invite a teammate');
});

test('all done: the celebration shows and is announced, then the widget goes after a few seconds, not while the visitor is in it', { timeout: 30000 }, async (t) => {
  // Collapsed, the visitor elsewhere: gone after the timer.
  const away = await openChecklist(t, SPEC, { clock: true });
  await update(away, ALL_DONE(SPEC));
  const yay = away.getByText(TEXTS.completed, { exact: true });
  assert.ok(await yay.isVisible(), 'the celebration shows with the list collapsed');
  assert.equal(await status(away), `Add a card: done. Invite a teammate: done. Connect Slack: done. ${TEXTS.completed}`);
  assert.equal(await focused(away), 'field');
  await noAxeViolations(away, 'completed, collapsed');
  // Half the time: the fake clock also flows with real time, and an axe scan on a busy
  // machine has taken over a second.
  await away.clock.runFor(DONE_MS / 2);
  assert.ok(await yay.isVisible(), 'not at once');
  await away.clock.runFor(DONE_MS);
  assert.equal(await away.locator('engagekit-checklist').count(), 0, 'gone after a few seconds');
  assert.deepEqual(await calls(away), [['closed']], 'closed, not dismissed');

  // Open, focus inside: it stays until focus leaves.
  const inside = await openChecklist(t, SPEC, { clock: true });
  await inside.keyboard.press('Tab');
  await inside.keyboard.press('Enter');
  await update(inside, ALL_DONE(SPEC));
  assert.ok(await inside.getByText(TEXTS.completed, { exact: true }).isVisible());
  assert.equal(await focused(inside), 'li Add a card', 'the focused action went with its step: focus on the step');
  await noAxeViolations(inside, 'completed, open');
  await inside.clock.runFor(DONE_MS * 3);
  assert.equal(await inside.locator('engagekit-checklist').count(), 1, 'stays while focus is inside');
  await inside.getByRole('heading', { name: 'Host page' }).click();
  await inside.clock.runFor(DONE_MS + 1000);
  assert.equal(await inside.locator('engagekit-checklist').count(), 0);
  assert.deepEqual(await calls(inside), [['toggled', true], ['closed']]);

  // The pointer over it: it stays until the pointer leaves.
  const hover = await openChecklist(t, SPEC, { clock: true });
  await hover.getByRole('button', { name: LAUNCHER(1) }).hover();
  await update(hover, ALL_DONE(SPEC));
  await hover.clock.runFor(DONE_MS * 3);
  assert.equal(await hover.locator('engagekit-checklist').count(), 1, 'stays while the pointer is on it');
  await hover.mouse.move(5, 5);
  await hover.clock.runFor(DONE_MS + 1000);
  assert.equal(await hover.locator('engagekit-checklist').count(), 0);
  assert.deepEqual(await calls(hover), [['closed']]);
});

test('dismiss: dismissed() then closed(), focus back where it was; not offered when not dismissible', { timeout: 30000 }, async (t) => {
  const page = await openChecklist(t, { ...SPEC, expanded: true });
  await page.getByRole('button', { name: TEXTS.dismiss, exact: true }).click();
  assert.deepEqual(await calls(page), [['dismissed'], ['closed']]);
  assert.equal(await page.locator('engagekit-checklist').count(), 0);
  assert.equal(await focused(page), 'field', 'focus goes back where it came from');

  const keyboard = await openChecklist(t);
  await keyboard.keyboard.press('Tab');
  await keyboard.keyboard.press('Enter');
  for (let i = 0; i < 4; i++) await keyboard.keyboard.press('Tab');
  assert.equal(await focused(keyboard), `button ${TEXTS.dismiss}`);
  await keyboard.keyboard.press('Enter');
  assert.deepEqual(await calls(keyboard), [['toggled', true], ['dismissed'], ['closed']]);

  const fixed = await openChecklist(t, { ...SPEC, expanded: true, dismissible: false });
  assert.equal(await fixed.getByRole('button', { name: TEXTS.dismiss }).count(), 0);
  assert.ok(await fixed.getByRole('button', { name: TEXTS.close, exact: true }).isVisible(), 'collapsing stays possible');
});

test('close() and the page removing the widget: closed() once, no dismissal', { timeout: 30000 }, async (t) => {
  const api = await openChecklist(t);
  await api.evaluate(() => { window.__checklist.close(); window.__checklist.close(); window.__checklist.update({ steps: [] }); });
  assert.deepEqual(await calls(api), [['closed']]);
  assert.equal(await api.locator('engagekit-checklist').count(), 0);

  const removed = await openChecklist(t);
  await removed.evaluate(() => document.querySelector('engagekit-checklist').remove());
  await removed.waitForFunction(() => window.__calls.length > 0);
  assert.deepEqual(await calls(removed), [['closed']]);
});

test('hostile strings in every text, id and link stay text; javascript: and data: links give no link', { timeout: 30000 }, async (t) => {
  const IMG = '<img src=x onerror=window.__pwned=1>';
  const JS = 'javascript:alert(1)';
  const STYLE = '</style><script>window.__pwned=2</script>';
  const ALL = `${IMG} ${JS} ${STYLE}`;
  const texts = {
    title: ALL, launcher: IMG, completed: `${STYLE}${IMG}`, dismiss: JS, close: STYLE,
    locked: IMG, markDone: STYLE, done: JS, count: IMG, progress: STYLE,
  };
  const steps = [
    { id: IMG, title: IMG, description: STYLE, href: JS, action: JS, done: false, available: true, manual: true },
    { id: '__proto__', title: STYLE, description: IMG, href: ' JaVaScRiPt:window.__pwned=3', done: false, available: true },
    { id: 'constructor', title: JS, href: 'data:text/html,<script>window.__pwned=4</script>', done: false, available: true },
    { id: STYLE, title: `${JS}!`, href: `/app.html?q=${IMG}`, action: IMG, done: false, available: true },
    { id: JS, title: `${IMG}!`, href: JS, done: false, available: false },
  ];
  const theme = { accent: 'red;}</style><img src=x onerror=window.__pwned=5>', background: 'url(https://evil.example/x.png)', text: '#222', radius: 'expression(alert(1))', font: '@import "x"' };
  const spec = { ...SPEC, id: IMG, locale: `en" onload="x`, texts, theme, steps, expanded: true };
  const page = await openChecklist(t, spec);

  assert.ok(await page.getByRole('region', { name: ALL, exact: true }).isVisible(), 'the title verbatim');
  assert.ok(await page.getByRole('button', { name: `${IMG}, ${STYLE}`, exact: true }).isVisible(), 'the launcher verbatim');
  assert.equal(await page.getByRole('link').count(), 1, 'only the http(s) link is a link');
  assert.equal(await page.getByRole('link', { name: IMG, exact: true }).getAttribute('href'), `/app.html?q=${IMG}`);
  assert.ok(await page.getByRole('button', { name: JS, exact: true }).first().isVisible(), 'the javascript: step is a plain button');
  assert.ok(await page.getByRole('button', { name: `${STYLE}: ${IMG}`, exact: true }).isVisible(), 'the Mark as done label verbatim');

  await page.getByRole('button', { name: JS, exact: true }).first().click(); // the action of step IMG
  await page.getByRole('button', { name: STYLE, exact: true }).first().click(); // the __proto__ step
  await page.getByRole('button', { name: `${STYLE}: ${IMG}`, exact: true }).click();
  assert.deepEqual(await calls(page), [['started', IMG], ['started', '__proto__'], ['done', IMG]], 'ids verbatim');
  assert.equal(await status(page), `${IMG}: ${JS}. ${STYLE}.`);
  await update(page, ALL_DONE(spec));
  assert.ok(await page.getByText(texts.completed, { exact: true }).isVisible(), 'the celebration verbatim');

  const found = await page.evaluate(() => {
    const host = document.querySelector('engagekit-checklist');
    const root = host.shadowRoot;
    return {
      pwned: window.__pwned,
      inWidget: root.querySelectorAll('img,script,style,iframe,[style],[onerror],[onload]').length,
      hrefs: [...root.querySelectorAll('[href]')].map((a) => a.href.slice(0, 5)),
      images: document.querySelectorAll('img').length,
      scripts: [...document.scripts].map((s) => s.getAttribute('src')),
      theme: [...host.style].filter((p) => p.startsWith('--ek-')),
      lang: root.querySelector('.w').getAttribute('lang'),
    };
  });
  assert.deepEqual(found, {
    pwned: undefined, inWidget: 0, hrefs: ['http:'], images: 0, scripts: ['/watch.js', '/test.js'], theme: ['--ek-text'], lang: 'en" onload="x',
  }, 'one http(s) link; hostile theme values are left out');
});

test('320 px wide and 200 % zoom: within the viewport, no horizontal scroll, every target at least 24×24 px', { timeout: 60000 }, async (t) => {
  // 200 % zoom of a 1280×800 window is a 640×400 CSS px viewport.
  for (const viewport of [{ width: 320, height: 568 }, { width: 640, height: 400 }]) {
    for (const placement of ['bottom-right', 'bottom-left']) {
      const page = await openChecklist(t, { ...SPEC, placement }, { viewport });
      const where = `${viewport.width}×${viewport.height} ${placement}`;
      const measure = () => page.evaluate(() => {
        const root = document.querySelector('engagekit-checklist').shadowRoot;
        const doc = document.documentElement;
        const boxes = [...root.querySelectorAll('.c')].filter((e) => !e.hidden);
        const small = [...root.querySelectorAll('button,a')].filter((b) => b.getClientRects().length).map((b) => b.getBoundingClientRect())
          .filter((b) => b.width < 24 || b.height < 24).map((b) => `${b.width}×${b.height}`);
        return {
          pageScroll: doc.scrollWidth > doc.clientWidth,
          boxScroll: boxes.some((b) => b.scrollWidth > b.clientWidth),
          outside: boxes.map((b) => b.getBoundingClientRect()).some((r) => r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > innerHeight),
          small,
        };
      });
      const fits = { pageScroll: false, boxScroll: false, outside: false, small: [] };
      assert.deepEqual(await measure(), fits, `${where}, collapsed`);
      await page.getByRole('button', { name: LAUNCHER(1) }).click();
      assert.deepEqual(await measure(), fits, `${where}, open`);
      const last = page.getByRole('button', { name: TEXTS.dismiss });
      await last.scrollIntoViewIfNeeded();
      assert.ok(await last.isVisible(), `${where}: the end of the list can be scrolled to`);
      await update(page, ALL_DONE(SPEC));
      assert.deepEqual(await measure(), fits, `${where}, completed`);
    }
  }
});

test('RTL: dir="rtl", mirrored layout and ring, the keyboard pattern unchanged; axe finds nothing collapsed, open and completed', { timeout: 30000 }, async (t) => {
  const page = await openChecklist(t, RTL_SPEC);
  const T = RTL_SPEC.texts;
  const name = `${T.launcher}, 1 من 4 مكتملة`;
  assert.equal(await page.evaluate(() => document.querySelector('engagekit-checklist').shadowRoot.querySelector('.w').dir), 'rtl');
  assert.equal(await page.evaluate(() => document.querySelector('engagekit-checklist').shadowRoot.querySelector('.w').lang), 'ar');
  await noAxeViolations(page, 'collapsed (RTL)');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `button ${name}`);
  await page.keyboard.press('Enter');
  assert.equal(await focused(page), 'a افتح اللوحة');
  const geometry = await page.evaluate(() => {
    const root = document.querySelector('engagekit-checklist').shadowRoot;
    const li = root.querySelector('li');
    const launcher = root.querySelector('.l');
    return {
      markRight: li.querySelector('.k').getBoundingClientRect().left > li.querySelector('.b').getBoundingClientRect().left,
      ringRight: launcher.querySelector('svg').getBoundingClientRect().left > launcher.querySelector('.n').getBoundingClientRect().left,
      left: launcher.getBoundingClientRect().left < innerWidth / 2,
      scale: getComputedStyle(launcher.querySelector('svg')).scale,
    };
  });
  assert.deepEqual(geometry, { markRight: true, ringRight: true, left: true, scale: '1 -1' });
  assert.equal(await page.getByText(T.locked, { exact: true }).filter({ visible: true }).count(), 1, 'the locked reason shows once');
  await noAxeViolations(page, 'open (RTL)');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `button ${T.markDone}: ادعُ زميلًا`);
  await page.keyboard.press('Enter');
  assert.equal(await status(page), 'ادعُ زميلًا: مكتمل. 2 من 4 مكتملة.');
  await page.keyboard.press('Escape');
  assert.equal(await focused(page), `button ${T.launcher}, 2 من 4 مكتملة`);
  await update(page, ALL_DONE(RTL_SPEC));
  await noAxeViolations(page, 'completed (RTL)');
  assert.deepEqual(await calls(page), [['toggled', true], ['done', 'invite'], ['toggled', false]]);
});

test('light and dark schemes pass axe; reduced motion means no animation; the theme comes through custom properties', { timeout: 30000 }, async (t) => {
  const style = (page, sel) => page.evaluate((sel) => {
    const s = getComputedStyle(document.querySelector('engagekit-checklist').shadowRoot.querySelector(sel));
    return { background: s.backgroundColor, color: s.color, radius: s.borderRadius, font: s.fontFamily, animation: s.animationName, transition: s.transitionDuration };
  }, sel);
  const dark = await openChecklist(t, { ...SPEC, expanded: true }, { colorScheme: 'dark' });
  assert.equal((await style(dark, '.p')).background, 'rgb(31, 31, 31)');
  await noAxeViolations(dark, 'open, dark');
  await update(dark, ALL_DONE(SPEC));
  await noAxeViolations(dark, 'completed, dark');

  for (const [reducedMotion, panel, done, ring] of [['no-preference', 'ek-in', 'ek-done', '0.4s'], ['reduce', 'none', 'none', '0s']]) {
    const page = await openChecklist(t, SPEC, { reducedMotion });
    await page.getByRole('button', { name: LAUNCHER(1) }).click();
    await update(page, progressed(SPEC, 'add-card'));
    assert.equal((await style(page, '.p')).animation, panel, `${reducedMotion}: the list opening`);
    assert.equal((await style(page, 'li.new')).animation, done, `${reducedMotion}: a step done`);
    assert.equal((await style(page, 'li.new .k')).animation, done === 'none' ? 'none' : 'ek-pop', `${reducedMotion}: its check mark`);
    assert.equal((await style(page, 'circle + circle')).transition, ring, `${reducedMotion}: the ring`);
    assert.equal(await status(page), 'Add a card: done. 2 of 4 complete.', 'announced either way');
  }

  const theme = { accent: '#6a1b9a', background: '#fffbe6', text: '#222222', radius: '2px', font: 'Georgia, serif' };
  const themed = await openChecklist(t, { ...SPEC, theme, expanded: true }, { colorScheme: 'dark' });
  const s = await style(themed, '.p');
  assert.deepEqual({ background: s.background, color: s.color, radius: s.radius, font: s.font },
    { background: 'rgb(255, 251, 230)', color: 'rgb(34, 34, 34)', radius: '2px', font: 'Georgia, serif' });
  assert.equal((await style(themed, '[aria-current] .go')).background, 'rgb(106, 27, 154)', "the next step's action in the accent");
  await noAxeViolations(themed, 'open, themed');
  await update(themed, { ...SPEC, theme: {}, expanded: true });
  assert.equal((await style(themed, '.p')).background, 'rgb(31, 31, 31)', 'a theme taken away by update() goes');
});
