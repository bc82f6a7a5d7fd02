// The choice of a card's language (www/card.js, bundled into the survey and checklist chunks):
// which of the config's locales a visitor gets, and the direction it is written in. Plain
// functions, run in Node; the UI tests check the chunks apply them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localeFor, localize } from '../../www/card.js';

const T = { question: 'Recommend us?' };

test('an exact match in any case, else the same primary language, else the fallback, else the first', () => {
  const text = { fr: T, en: T };
  assert.equal(localeFor(text, 'fr', 'EN-us'), 'en', 'case does not matter');
  assert.equal(localeFor(text, 'fr', 'de'), 'fr', 'defaultLocale is the fallback');
  assert.equal(localeFor({ en: T, fr: T }, undefined, 'pt'), 'en', 'else the first written');
  assert.equal(localeFor({ en: T, fr: T }, undefined, 'fr-BE'), 'fr', 'the same primary language');
  assert.equal(localeFor({ en: T, 'pt-BR': T }, undefined, 'pt_PT'), 'pt-BR', 'an underscore separates too');
  assert.equal(localeFor({ en: T }, 'de', 'fr'), 'en', 'a defaultLocale that is not written is no fallback');
});

test('the fallback wins a tie between two of the same primary language', () => {
  const text = { 'en-GB': T, 'en-US': T };
  assert.equal(localeFor(text, 'en-US', 'en-AU'), 'en-US');
  assert.equal(localeFor(text, undefined, 'en-AU'), 'en-GB', 'without one, the first written');
  assert.equal(localeFor(text, 'en-US', 'EN-gb'), 'en-GB', 'an exact match beats the fallback');
});

test('no texts, or texts of the wrong type: no locale and no texts, never a throw', () => {
  for (const text of [undefined, null, 'en', 3, [], [T], {}]) {
    assert.equal(localeFor(text, 'en', 'en'), undefined, JSON.stringify(text));
    assert.deepEqual(localize({ text }, 'en'), { locale: undefined, rtl: false, texts: {} });
  }
  assert.deepEqual(localize({ text: { en: 'not an object' } }, 'en'), { locale: 'en', rtl: false, texts: {} });
  assert.deepEqual(localize(null, 'en'), { locale: undefined, rtl: false, texts: {} });
});

test('the chosen texts, and right-to-left for the languages written so', () => {
  const ar = { question: 'هل توصي بنا؟' };
  assert.deepEqual(localize({ text: { ar } }, 'fr'), { locale: 'ar', rtl: true, texts: ar });
  assert.deepEqual(localize({ text: { en: T, 'he-IL': ar }, defaultLocale: 'en' }, 'he'), { locale: 'he-IL', rtl: true, texts: ar });
  for (const [tag, rtl] of [['ar-EG', true], ['fa', true], ['ckb', true], ['ur_PK', true], ['fr', false], ['arn', false]])
    assert.equal(localize({ text: { [tag]: T } }, tag).rtl, rtl, tag);
});

test('keys that name Object.prototype members are only data', () => {
  const text = JSON.parse('{"__proto__": {"question": "proto"}, "constructor": {"question": "ctor"}}');
  assert.deepEqual(localize({ text }, '__proto__'), { locale: '__proto__', rtl: false, texts: { question: 'proto' } });
  assert.deepEqual(localize({ text }, 'constructor'), { locale: 'constructor', rtl: false, texts: { question: 'ctor' } });
  assert.deepEqual(localize({ text: { en: T } }, 'toString'), { locale: 'en', rtl: false, texts: T });
});
