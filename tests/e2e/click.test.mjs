// Click autocapture (`tracking.autocapture.clicks`): what a click records, and that only links
// and buttons are captured. The properties are plain data from www/click.js (run in Node
// here); the last test clicks in a real page and reads what the collector stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clicked } from '../../www/click.js';
import { setup, testConfig, waitReady, watchPage, waitFor, eventRows } from './harness.mjs';

test('the tag in lower case, the id, the visible text with its whitespace collapsed', () => {
  assert.deepEqual(clicked({ tagName: 'BUTTON', id: 'cta', innerText: '  Start \n  free\ttrial ' }), {
    tag: 'button',
    id: 'cta',
    text: 'Start free trial',
  });
  assert.deepEqual(clicked({ tagName: 'A', id: '', innerText: '' }), { tag: 'a' }, 'no empty id or text');
  assert.deepEqual(clicked({ tagName: 'INPUT', id: 's', innerText: '', value: 'Send' }), { tag: 'input', id: 's', text: 'Send' });
});

test('text is cut to 100 characters, counted as code points, never half an emoji', () => {
  assert.equal(clicked({ tagName: 'A', innerText: 'x'.repeat(500) }).text.length, 100);
  const emoji = clicked({ tagName: 'A', innerText: '😀'.repeat(150) }).text;
  assert.equal(Array.from(emoji).length, 100);
  assert.equal(emoji, '😀'.repeat(100));
  assert.equal(clicked({ tagName: 'A', innerText: 'word '.repeat(60) }).text, 'word '.repeat(20).trim(), 'no space left at the cut');
});

test('links only when http(s): no javascript:, data: or an SVG link object', () => {
  assert.equal(clicked({ tagName: 'A', href: 'https://a.test/docs' }).href, 'https://a.test/docs');
  assert.equal(clicked({ tagName: 'A', href: 'http://a.test/' }).href, 'http://a.test/');
  assert.equal(clicked({ tagName: 'A', href: 'javascript:alert(1)' }).href, undefined);
  assert.equal(clicked({ tagName: 'A', href: 'data:text/html,x' }).href, undefined);
  assert.equal(clicked({ tagName: 'A', href: { baseVal: 'https://a.test/' } }).href, undefined);
});

test('in a page: links and buttons clicked are stored as Element Clicked, nothing typed is', { timeout: 60000 }, async (t) => {
  const env = await setup(t, { config: testConfig({ tracking: { autocapture: { clicks: true } } }) });
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto('/');
  await waitReady(page);
  await page.evaluate(() => {
    const box = document.createElement('div');
    box.innerHTML =
      '<button id="go" type="button">  Start \n  free\ttrial </button>' +
      '<a id="docs" href="https://example.test/docs"><span>Read <b>the docs</b></span></a>' +
      '<a id="js" href="javascript:void(0)">Run</a>' +
      '<input id="send" type="submit" value="Send it">' +
      '<input id="typed" type="text" value="a secret the visitor typed">' +
      '<p id="plain">Not a link</p>';
    document.body.prepend(box);
    // The page stays put: no navigation to the links.
    box.addEventListener('click', (e) => e.preventDefault());
  });
  for (const id of ['go', 'docs', 'js', 'send', 'typed', 'plain']) await page.click(`#${id}`);
  await page.evaluate(() => engagekit.flush());
  const clicks = async () => (await eventRows(env.ws.db)).filter((r) => r.event === 'Element Clicked');
  await waitFor(async () => (await clicks()).length >= 4, { message: 'four clicks stored' });
  await new Promise((r) => setTimeout(r, 500));
  const stored = (await clicks()).map((r) => r.body.properties);
  assert.deepEqual(stored, [
    { tag: 'button', id: 'go', text: 'Start free trial' },
    { tag: 'a', id: 'docs', text: 'Read the docs', href: 'https://example.test/docs' },
    { tag: 'a', id: 'js', text: 'Run' },
    { tag: 'input', id: 'send', text: 'Send it' },
  ]);
  assert.ok(!JSON.stringify(stored).includes('secret'), 'nothing typed');
  assert.deepEqual(problems, []);
});
