// The NPS survey card (www/survey.js) on its own, in headless Chromium: no collector, no
// wasm. A tiny node:http server sends a strict CSP (no 'unsafe-inline' anywhere) and serves
// the esbuild-minified module as shipped; a test-only script file imports it dynamically,
// opens it with the spec in the page's fragment and records the host calls in
// window.__calls. Keyboard alone, roles and names, axe at every step, hostile texts, narrow
// and zoomed viewports, colour schemes, reduced motion, the timers (on Playwright's clock).
//
// Run: node --test --test-concurrency=1 tests/e2e/survey-ui.test.mjs
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { axeViolations, chunkBench } from './harness.mjs';

const GZIP_BUDGET = 6 * 1024;
const THANKS_MS = 6000; // www/survey.js

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Survey card test</title>
<script src="/watch.js"></script>
<script type="module" src="/test.js"></script>
</head><body><main><h1>Host page</h1><p>The page's own content.</p>
<label>Search <input id="field"></label></main></body></html>`;

// Before anything else on the page: CSP violations, whatever causes them.
const WATCH = `window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample);
});`;

// Test-only: the page's focus is in its own field, then the survey opens lazily.
const OPENER = `window.__calls = [];
var record = function (name) {
  return function (arg) { window.__calls.push(arguments.length ? [name, arg] : [name]); };
};
var host = {};
['answered', 'comment', 'dismissed', 'closed', 'alive'].forEach(function (n) { host[n] = record(n); });
document.getElementById('field').focus();
var spec = JSON.parse(decodeURIComponent(location.hash.slice(1)));
var survey = await import('/survey.js');
window.__survey = survey.open(spec, host);
window.__opened = true;`;

const TEXTS = {
  question: 'How likely are you to recommend Acme to a friend?',
  low: 'Not at all likely',
  high: 'Extremely likely',
  thanks: 'Thank you for your feedback!',
  send: 'Send',
  close: 'Close survey',
  followUp: {
    detractor: { question: 'What disappointed you?', placeholder: 'Tell us what went wrong' },
    passive: { question: 'What would make it a 10?', placeholder: 'Your ideas' },
    promoter: null,
  },
};
const SPEC = { id: 'nps', submissionId: 'sub-1', locale: 'en', rtl: false, placement: 'bottom-right', theme: {}, texts: TEXTS };
const RTL_SPEC = {
  ...SPEC,
  locale: 'ar',
  rtl: true,
  placement: 'bottom-left',
  texts: {
    question: 'ما مدى احتمال أن توصي بنا لصديق؟',
    low: 'غير محتمل إطلاقًا',
    high: 'محتمل جدًا',
    thanks: 'شكرًا لك!',
    send: 'إرسال',
    close: 'إغلاق',
    followUp: { detractor: { question: 'ما الذي خيّب أملك؟', placeholder: 'أخبرنا' }, passive: null, promoter: null },
  },
};

let bench;
let base;
let minified;

before(async () => {
  bench = await chunkBench('survey.js', {
    '/page.html': ['text/html; charset=utf-8', PAGE],
    '/watch.js': ['text/javascript', WATCH],
    '/test.js': ['text/javascript', OPENER],
  });
  ({ base, minified } = bench);
});

after(async () => {
  if (bench) await bench.close();
});

/** The card the module hands the widget for `spec`, which is written as the visitor sees it
 *  (`locale`, `texts`): the texts by locale, as the config has them; the card picks the
 *  locale. */
const card = ({ locale, rtl, texts, ...rest }) => ({ ...rest, text: { [locale]: texts } });

/** A fresh context and page with the widget open (see chunkBench in harness.mjs). */
const openSurvey = (t, spec = SPEC, options) => bench.open(t, card(spec), options);

const calls = (page) => page.evaluate(() => window.__calls);

/** What has focus: a page element's id, or "<role or tag> <name>" inside the card. */
function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a.tagName !== 'ENGAGEKIT-SURVEY') return a ? a.id || a.tagName : null;
    const e = a.shadowRoot.activeElement;
    if (!e) return 'host';
    const name = e.getAttribute('aria-label') || (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent);
    return `${e.getAttribute('role') || e.tagName.toLowerCase()} ${name}`;
  });
}

/** The names of the checked radios. */
function checked(page) {
  return page.evaluate(() => [...document.querySelector('engagekit-survey').shadowRoot
    .querySelectorAll('[role=radio][aria-checked=true]')].map((r) => r.textContent));
}

/** Which step shows: the visible step's first text. */
function visibleStep(page) {
  return page.evaluate(() => {
    const host = document.querySelector('engagekit-survey');
    if (!host) return null;
    const steps = [...host.shadowRoot.querySelector('.card').children].filter((e) => e.tagName === 'DIV' && !e.classList.contains('sr'));
    return steps.filter((e) => !e.hidden).map((e) => e.querySelector('.h').textContent).join(' | ');
  });
}

/** Chromium's computed accessibility tree (names and descriptions as a screen reader gets them). */
async function axTree(page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  return nodes.filter((n) => !n.ignored).map((n) => ({
    role: n.role?.value, name: n.name?.value ?? '', description: n.description?.value ?? '',
  }));
}

async function noAxeViolations(page, where) {
  assert.deepEqual(await axeViolations(page), [], `axe at ${where}`);
}

test(`the minified module is at most ${GZIP_BUDGET} bytes gzip`, (t) => {
  const size = gzipSync(minified, { level: 9 }).length;
  t.diagnostic(`survey.js: ${minified.length} B minified, ${size} B gzip`);
  assert.ok(size <= GZIP_BUDGET, `${size} B gzip`);
});

test('opens without taking focus: a labelled region, announced politely, a 0-10 radio group; axe finds nothing', { timeout: 30000 }, async (t) => {
  const page = await openSurvey(t);
  await page.waitForTimeout(300);
  assert.equal(await focused(page), 'field', 'focus stays in the page');
  await page.keyboard.type('still typing');
  assert.equal(await page.inputValue('#field'), 'still typing');

  const region = page.getByRole('region', { name: TEXTS.question, exact: true });
  assert.ok(await region.isVisible(), 'a region named by the question');
  const group = region.getByRole('radiogroup', { name: TEXTS.question, exact: true });
  assert.equal(await group.count(), 1);
  const radios = group.getByRole('radio');
  assert.equal(await radios.count(), 11);
  for (let i = 0; i <= 10; i++) {
    const radio = group.getByRole('radio', { name: String(i), exact: true });
    assert.equal(await radio.getAttribute('aria-checked'), 'false');
  }
  assert.ok(await region.getByRole('button', { name: TEXTS.close, exact: true }).isVisible(), 'a named close button');
  assert.equal(await page.getByRole('status').textContent(), TEXTS.question, 'the question announced politely');
  assert.equal(await page.getByRole('status').getAttribute('aria-live'), 'polite');

  const ax = await axTree(page);
  const find = (role, name) => ax.find((n) => n.role === role && n.name === name);
  assert.equal(find('radiogroup', TEXTS.question)?.description, `${TEXTS.low} ${TEXTS.high}`, 'the scale is described by its ends');
  assert.equal(find('radio', '0')?.description, TEXTS.low);
  assert.equal(find('radio', '10')?.description, TEXTS.high);
  assert.equal(find('radio', '5')?.description, '');

  const layout = await page.evaluate(() => {
    const host = document.querySelector('engagekit-survey');
    const card = host.shadowRoot.querySelector('.card');
    const style = getComputedStyle(card);
    return {
      last: document.body.lastElementChild === host, dir: card.dir, lang: card.lang, cls: card.className,
      position: style.position, z: Number(style.zIndex),
      styles: host.shadowRoot.querySelectorAll('style,[style]').length, sheets: host.shadowRoot.adoptedStyleSheets.length,
    };
  });
  assert.deepEqual(layout, {
    last: true, dir: 'ltr', lang: 'en', cls: 'card bottom-right', position: 'fixed', z: 2147483000, styles: 0, sheets: 1,
  });
  assert.deepEqual(await calls(page), [], 'nothing recorded by showing');
  await noAxeViolations(page, 'the score step');
});

test('keyboard alone: Tab in, arrows and Home/End move without answering, Enter answers, a comment is sent, thanks keeps focus', { timeout: 30000 }, async (t) => {
  const page = await openSurvey(t, SPEC, { clock: true });
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'radio 0', 'Tab from the page reaches the scale at 0');
  const moves = [
    ['ArrowRight', '1'], ['ArrowDown', '2'], ['ArrowUp', '1'], ['ArrowLeft', '0'], ['ArrowLeft', '10'],
    ['Home', '0'], ['End', '10'], ['ArrowRight', '0'], ['ArrowDown', '1'], ['ArrowRight', '2'], ['ArrowRight', '3'],
  ];
  for (const [key, to] of moves) {
    await page.keyboard.press(key);
    assert.equal(await focused(page), `radio ${to}`, `${key} moves focus to ${to}`);
    assert.deepEqual(await checked(page), [to], `${key} selects ${to}`);
  }
  assert.deepEqual(await calls(page), [], 'moving along the scale answers nothing');
  // Roving tabindex: Tab leaves the group for the close button; Shift+Tab comes back to 3.
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `button ${TEXTS.close}`);
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'radio 3');

  await page.keyboard.press('Enter');
  assert.deepEqual(await calls(page), [['answered', 3]]);
  assert.equal(await focused(page), `textarea ${TEXTS.followUp.detractor.question}`, 'focus follows to the follow-up');
  const box = page.getByRole('textbox', { name: TEXTS.followUp.detractor.question, exact: true });
  assert.equal(await box.getAttribute('placeholder'), TEXTS.followUp.detractor.placeholder);
  assert.equal(await box.inputValue(), '', 'the Enter that answered typed nothing');
  await noAxeViolations(page, 'the comment step');

  await page.keyboard.type('  Too slow to load.\n  ');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `button ${TEXTS.send}`);
  await page.keyboard.press('Enter');
  assert.deepEqual(await calls(page), [['answered', 3], ['comment', 'Too slow to load.']]);
  assert.equal(await focused(page), `p ${TEXTS.thanks}`, 'focus follows to the thanks');
  assert.equal(await visibleStep(page), TEXTS.thanks);
  await noAxeViolations(page, 'the thanks step');

  await page.clock.runFor(THANKS_MS * 3);
  assert.equal(await visibleStep(page), TEXTS.thanks, 'the thanks stays while focus is inside');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `button ${TEXTS.close}`);
  await page.keyboard.press('Escape');
  assert.deepEqual(await calls(page), [['answered', 3], ['comment', 'Too slow to load.'], ['dismissed', 'thanks'], ['closed']]);
  assert.equal(await page.locator('engagekit-survey').count(), 0, 'the card is gone');
  assert.equal(await focused(page), 'field', 'focus goes back where it came from');
});

test('Escape dismisses at each step (and only inside the card); the close button too', { timeout: 30000 }, async (t) => {
  const atScore = await openSurvey(t);
  await atScore.keyboard.press('Escape');
  assert.deepEqual(await calls(atScore), [], 'Escape in the page is not for the card');
  await atScore.keyboard.press('Tab');
  await atScore.keyboard.press('ArrowRight');
  await atScore.keyboard.press('Escape');
  assert.deepEqual(await calls(atScore), [['dismissed', 'score'], ['closed']]);
  assert.equal(await atScore.locator('engagekit-survey').count(), 0);
  assert.equal(await focused(atScore), 'field');

  const atComment = await openSurvey(t);
  await atComment.keyboard.press('Tab');
  await atComment.keyboard.press('Space'); // 0: a detractor
  await atComment.keyboard.type('half a thought');
  await atComment.keyboard.press('Escape');
  assert.deepEqual(await calls(atComment), [['answered', 0], ['dismissed', 'comment'], ['closed']], 'an unsent comment is not sent');
  assert.equal(await focused(atComment), 'field');

  const byButton = await openSurvey(t);
  await byButton.getByRole('radio', { name: '10', exact: true }).click(); // a promoter: no follow-up
  assert.equal(await visibleStep(byButton), TEXTS.thanks);
  await byButton.getByRole('button', { name: TEXTS.close, exact: true }).click();
  assert.deepEqual(await calls(byButton), [['answered', 10], ['dismissed', 'thanks'], ['closed']]);
  assert.equal(await byButton.locator('engagekit-survey').count(), 0);
});

test('Space answers; an empty comment sends nothing; a long one is trimmed and capped at 2000 characters', { timeout: 30000 }, async (t) => {
  const passive = await openSurvey(t);
  await passive.keyboard.press('Tab');
  await passive.keyboard.press('End');
  await passive.keyboard.press('ArrowLeft');
  await passive.keyboard.press('ArrowLeft');
  await passive.keyboard.press('Space');
  assert.deepEqual(await calls(passive), [['answered', 8]]);
  assert.equal(await focused(passive), `textarea ${TEXTS.followUp.passive.question}`);
  await passive.keyboard.type('   ');
  await passive.keyboard.press('Tab');
  await passive.keyboard.press('Enter');
  assert.deepEqual(await calls(passive), [['answered', 8]], 'whitespace only: no comment');
  assert.equal(await visibleStep(passive), TEXTS.thanks);

  const long = await openSurvey(t);
  await long.getByRole('radio', { name: '6', exact: true }).click();
  const text = 'x'.repeat(1990) + '😀'.repeat(20);
  await long.getByRole('textbox', { name: TEXTS.followUp.detractor.question }).fill(`\n  ${text}  `);
  await long.getByRole('button', { name: TEXTS.send, exact: true }).click();
  const sent = (await calls(long))[1];
  assert.equal(sent[0], 'comment');
  assert.equal([...sent[1]].length, 2000, '2000 code points, not UTF-16 units');
  assert.equal(sent[1], [...text].slice(0, 2000).join(''));
});

test('the thanks closes itself a few seconds after focus leaves it; alive() every 30 s while open', { timeout: 30000 }, async (t) => {
  const page = await openSurvey(t, SPEC, { clock: true });
  await page.clock.runFor(30000);
  assert.deepEqual(await calls(page), [['alive']]);
  await page.clock.runFor(30000);
  assert.deepEqual(await calls(page), [['alive'], ['alive']]);

  await page.getByRole('radio', { name: '9', exact: true }).click();
  assert.equal(await visibleStep(page), TEXTS.thanks);
  await page.clock.runFor(THANKS_MS * 2);
  assert.equal(await visibleStep(page), TEXTS.thanks, 'clicked into: focus is inside, it stays');
  await page.getByRole('heading', { name: 'Host page' }).click(); // focus and pointer leave
  await page.clock.runFor(THANKS_MS - 1000);
  assert.equal(await visibleStep(page), TEXTS.thanks, 'not at once');
  await page.clock.runFor(2000);
  assert.equal(await page.locator('engagekit-survey').count(), 0, 'gone after a few seconds');
  assert.deepEqual(await calls(page), [['alive'], ['alive'], ['answered', 9], ['closed']], 'closed, not dismissed');
  await page.clock.runFor(90000);
  assert.equal((await calls(page)).length, 4, 'no alive() once closed');
});

test('close() and the page removing the card: closed() once, no dismissal', { timeout: 30000 }, async (t) => {
  const api = await openSurvey(t);
  await api.evaluate(() => { window.__survey.close(); window.__survey.close(); });
  assert.deepEqual(await calls(api), [['closed']]);
  assert.equal(await api.locator('engagekit-survey').count(), 0);

  const removed = await openSurvey(t);
  await removed.evaluate(() => document.querySelector('engagekit-survey').remove());
  await removed.waitForFunction(() => window.__calls.length > 0);
  assert.deepEqual(await calls(removed), [['closed']]);
});

test("the card speaks the browser's language: its texts, lang and dir from the locale it picks", { timeout: 30000 }, async (t) => {
  const spec = { ...card(SPEC), text: { en: TEXTS, fr: { ...TEXTS, question: 'Nous recommanderiez-vous ?' }, ar: RTL_SPEC.texts }, defaultLocale: 'en' };
  const seen = async (locale) => {
    const page = await bench.open(t, spec, { locale });
    return page.evaluate(() => {
      const c = document.querySelector('engagekit-survey').shadowRoot.querySelector('.card');
      return [c.lang, c.dir, c.getRootNode().getElementById('q').textContent];
    });
  };
  const [fr, ar, de] = await Promise.all([seen('fr-CA'), seen('ar-EG'), seen('de-DE')]);
  assert.deepEqual(fr, ['fr', 'ltr', 'Nous recommanderiez-vous ?'], 'fr-CA: the same primary language');
  assert.deepEqual(ar, ['ar', 'rtl', RTL_SPEC.texts.question]);
  assert.deepEqual(de, ['en', 'ltr', TEXTS.question], 'no German: the defaultLocale');
});

test('RTL: dir="rtl", left and right arrows mirrored, axe finds nothing at each step', { timeout: 30000 }, async (t) => {
  const page = await openSurvey(t, RTL_SPEC);
  const T = RTL_SPEC.texts;
  assert.equal(await page.evaluate(() => document.querySelector('engagekit-survey').shadowRoot.querySelector('.card').dir), 'rtl');
  const x = async (name) => (await page.getByRole('radio', { name, exact: true }).boundingBox()).x;
  assert.ok(await x('0') > await x('1'), '0 on the right');
  await noAxeViolations(page, 'the score step (RTL)');
  await page.keyboard.press('Tab');
  for (const [key, to] of [['ArrowLeft', '1'], ['ArrowLeft', '2'], ['ArrowRight', '1'], ['ArrowRight', '0'], ['ArrowRight', '10'], ['ArrowDown', '0']]) {
    await page.keyboard.press(key);
    assert.equal(await focused(page), `radio ${to}`, `${key} moves to ${to}`);
  }
  await page.keyboard.press('Enter');
  assert.equal(await focused(page), `textarea ${T.followUp.detractor.question}`);
  await noAxeViolations(page, 'the comment step (RTL)');
  await page.keyboard.type('بطيء جدًا');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await focused(page), `p ${T.thanks}`);
  await noAxeViolations(page, 'the thanks step (RTL)');
  assert.deepEqual(await calls(page), [['answered', 0], ['comment', 'بطيء جدًا']]);
});

test('hostile strings in every text and in the comment stay text', { timeout: 30000 }, async (t) => {
  const IMG = '<img src=x onerror=window.__pwned=1>';
  const JS = 'javascript:alert(1)';
  const STYLE = '</style><script>window.__pwned=2</script>';
  const ALL = `${IMG} ${JS} ${STYLE}`;
  const texts = {
    question: ALL, low: IMG, high: STYLE, thanks: `${STYLE}${IMG}`, send: JS, close: `${JS} ${STYLE}`,
    followUp: {
      detractor: { question: STYLE, placeholder: IMG },
      passive: { question: IMG, placeholder: JS },
      promoter: { question: JS, placeholder: STYLE },
    },
  };
  const page = await openSurvey(t, { ...SPEC, id: IMG, submissionId: STYLE, texts });
  assert.ok(await page.getByRole('region', { name: ALL, exact: true }).isVisible(), 'the question verbatim');
  assert.ok(await page.getByRole('radiogroup', { name: ALL, exact: true }).isVisible());
  assert.ok(await page.getByRole('button', { name: texts.close, exact: true }).isVisible(), 'the close label verbatim');
  assert.deepEqual(await page.evaluate(() => [...document.querySelector('engagekit-survey').shadowRoot.querySelectorAll('.ends span')]
    .map((s) => s.textContent)), [IMG, STYLE]);

  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter'); // 0: the detractor follow-up
  const box = page.getByRole('textbox', { name: STYLE, exact: true });
  assert.equal(await box.getAttribute('placeholder'), IMG);
  assert.ok(await page.getByRole('button', { name: JS, exact: true }).isVisible(), 'the send label verbatim');
  await page.keyboard.type(ALL);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await visibleStep(page), texts.thanks, 'the thanks verbatim');
  assert.deepEqual(await calls(page), [['answered', 0], ['comment', ALL]], 'the comment verbatim');

  const found = await page.evaluate(() => {
    const root = document.querySelector('engagekit-survey').shadowRoot;
    return {
      pwned: window.__pwned,
      inCard: root.querySelectorAll('img,script,style,iframe,a,[style],[onerror]').length,
      images: document.querySelectorAll('img').length,
      scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    };
  });
  assert.deepEqual(found, { pwned: undefined, inCard: 0, images: 0, scripts: ['/watch.js', '/test.js'] });
});

test('320 px wide and 200 % zoom: no horizontal scroll, every target at least 24×24 px, at each placement', { timeout: 60000 }, async (t) => {
  // 200 % zoom of a 1280×800 window is a 640×400 CSS px viewport.
  for (const viewport of [{ width: 320, height: 568 }, { width: 640, height: 400 }]) {
    for (const placement of ['bottom-right', 'bottom-left', 'center']) {
      const page = await openSurvey(t, { ...SPEC, placement }, { viewport });
      const where = `${viewport.width}×${viewport.height} ${placement}`;
      const measure = () => page.evaluate(() => {
        const root = document.querySelector('engagekit-survey').shadowRoot;
        const card = root.querySelector('.card');
        const r = card.getBoundingClientRect();
        const doc = document.documentElement;
        const small = [...root.querySelectorAll('button,textarea')].filter((b) => b.offsetParent).map((b) => b.getBoundingClientRect())
          .filter((b) => b.width < 24 || b.height < 24).map((b) => `${b.width}×${b.height}`);
        return {
          pageScroll: doc.scrollWidth > doc.clientWidth,
          cardScroll: card.scrollWidth > card.clientWidth,
          outside: r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > innerHeight,
          small,
        };
      });
      const fits = { pageScroll: false, cardScroll: false, outside: false, small: [] };
      assert.deepEqual(await measure(), fits, `${where}, score step`);
      const radios = await page.evaluate(() => new Set([...document.querySelector('engagekit-survey').shadowRoot
        .querySelectorAll('[role=radio]')].map((b) => Math.round(b.getBoundingClientRect().top))).size);
      assert.equal(radios, 1, `${where}: the scale is one row`);
      await page.getByRole('radio', { name: '0', exact: true }).click();
      assert.deepEqual(await measure(), fits, `${where}, comment step`);
    }
  }
});

test('light and dark schemes pass axe; reduced motion means no animation; the theme comes through custom properties', { timeout: 30000 }, async (t) => {
  const dark = await openSurvey(t, SPEC, { colorScheme: 'dark' });
  const cardStyle = (page) => page.evaluate(() => {
    const s = getComputedStyle(document.querySelector('engagekit-survey').shadowRoot.querySelector('.card'));
    return { background: s.backgroundColor, color: s.color, radius: s.borderRadius, font: s.fontFamily, animation: s.animationName };
  });
  assert.equal((await cardStyle(dark)).background, 'rgb(31, 31, 31)');
  await noAxeViolations(dark, 'the score step, dark');
  await dark.getByRole('radio', { name: '7', exact: true }).click();
  await noAxeViolations(dark, 'the comment step, dark');

  const moving = await openSurvey(t, SPEC);
  assert.equal((await cardStyle(moving)).animation, 'ek-in');
  const still = await openSurvey(t, SPEC, { reducedMotion: 'reduce' });
  assert.equal((await cardStyle(still)).animation, 'none');

  const theme = { accent: '#6a1b9a', background: '#fffbe6', text: '#222222', radius: '2px', font: 'Georgia, serif' };
  const themed = await openSurvey(t, { ...SPEC, theme }, { colorScheme: 'dark' });
  const style = await cardStyle(themed);
  assert.deepEqual({ ...style, animation: undefined },
    { background: 'rgb(255, 251, 230)', color: 'rgb(34, 34, 34)', radius: '2px', font: 'Georgia, serif', animation: undefined });
  assert.equal(await themed.evaluate(() => document.querySelector('engagekit-survey').style.getPropertyValue('--ek-accent')), theme.accent);
  await themed.keyboard.press('Tab');
  await themed.keyboard.press('ArrowRight');
  assert.equal(await themed.evaluate(() => getComputedStyle(document.querySelector('engagekit-survey').shadowRoot
    .querySelector('[aria-checked=true]')).backgroundColor), 'rgb(106, 27, 154)');
  await noAxeViolations(themed, 'the score step, themed');
});
