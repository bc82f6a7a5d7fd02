// What a widget's card says, and in which language: shared by the survey card (www/survey.js)
// and the checklist (www/checklist.js), bundled into each. The core hands a card its config
// fields as written (`text`: the texts by locale, `defaultLocale`); the locale is chosen here,
// beside the rendering, from the visitor's language, so the wasm carries no presentation code.

// Languages written right to left (the card's `dir`), by primary subtag.
var RTL = ['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'yi', 'dv', 'ug', 'ckb'];

var own = function (o, k) {
  return o && typeof o == 'object' && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
};
var lower = function (s) {
  return String(s).replace(/[A-Z]+/g, function (c) {
    return c.toLowerCase();
  }); // ASCII only, as BCP 47 tags compare
};
var primary = function (tag) {
  return lower(tag).split(/[-_]/)[0];
};

/**
 * The locale of `text` (an object of texts by locale) for `language` (a BCP 47 tag such as
 * navigator.language): an exact match (any case), else the same primary language (`fr` for
 * `fr-CA`), else the fallback (`fallback` if it is one of the locales, else the first
 * written). The fallback is tried first in each search, so it wins a tie (`en-US` and `en-GB`
 * for `en-AU`). Undefined when `text` has no locale.
 */
export function localeFor(text, fallback, language) {
  var all = text && typeof text == 'object' && !Array.isArray(text) ? Object.keys(text) : [];
  var order = all.indexOf(fallback) < 0 ? all : [fallback].concat(all.filter(function (l) {
    return l != fallback;
  }));
  var wanted = lower(language || '');
  var first = function (match) {
    for (var i = 0; i < order.length; i++) if (match(order[i])) return order[i];
  };
  var found = first(function (l) {
    return lower(l) == wanted;
  });
  if (found === undefined)
    found = first(function (l) {
      return primary(l) == primary(wanted);
    });
  return found === undefined ? order[0] : found;
}

/**
 * `card`'s language for this visitor: {locale, rtl, texts} (texts: the chosen locale's object,
 * `{}` when there is none). `language` defaults to the browser's.
 */
export function localize(card, language) {
  var text = own(card, 'text');
  var locale = localeFor(text, own(card, 'defaultLocale'), language == null ? navigator.language : language);
  var texts = own(text, locale);
  return {
    locale: locale,
    rtl: locale != null && RTL.indexOf(primary(locale)) >= 0,
    texts: texts && typeof texts == 'object' ? texts : {},
  };
}

export { own };
