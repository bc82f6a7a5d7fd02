/*! engagekit survey | MIT */
// The NPS survey card, imported only when the core has decided a survey shows. The core
// decides who is asked and records what happens; this file renders the card and reports each
// step through `host`. Nothing from the config becomes markup: every text is a text node or an
// attribute value. The card lives in a shadow root styled by one constructed stylesheet, so a
// page CSP without 'unsafe-inline' is fine and neither side's CSS reaches the other. The root
// is open: a closed one protects nothing from scripts in the same page, and it would hide the
// card from axe and other accessibility tooling.
//
// Keyboard (the WAI-ARIA radio group, plus an explicit action): Tab reaches the scale at its
// selected radio (or 0); arrow keys, Home and End move the selection and answer nothing, so a
// visitor can look along the scale without being recorded; Space or Enter on a radio answers
// with it, as does a click or a tap. Escape anywhere in the card dismisses it. The card never
// takes focus on its own; between steps focus follows only if it was already inside, and when
// the card goes with focus inside, focus goes back to where it came from.

import { localize } from './card.js';

var ALIVE_MS = 3e4; // renews the cross-tab "one prompt on screen" lease (60 s in the core)
var THANKS_MS = 6e3;
var MAX_COMMENT_CHARS = 2000; // survey::MAX_COMMENT_CHARS, counted in code points like Rust
var THEME = ['accent', 'background', 'text', 'radius', 'font'];
var PLACEMENTS = ['bottom-right', 'bottom-left', 'center'];

// Relative units (em from the user's default font size, not the page's root) so the card
// follows zoom and text settings; px only for the 24 px minimum target size.
var CSS =
  ':host{all:initial;--ek-accent:#0b57d0;--ek-background:#fff;--ek-text:#1f1f1f;--ek-radius:.75em;--ek-font:system-ui,sans-serif}' +
  '@media(prefers-color-scheme:dark){:host{--ek-accent:#a8c7fa;--ek-background:#1f1f1f;--ek-text:#e3e3e3}}' +
  '.card{position:fixed;z-index:2147483000;box-sizing:border-box;width:24em;max-width:calc(100% - 2em);max-height:calc(100% - 2em);' +
  'overflow:auto;padding:1em;border:1px solid #8888;border-radius:var(--ek-radius);background:var(--ek-background);color:var(--ek-text);' +
  'font:1em/1.45 var(--ek-font);text-align:start;overflow-wrap:anywhere;box-shadow:0 .5em 2em #0004}' +
  '.bottom-right{right:1em;bottom:1em}.bottom-left{left:1em;bottom:1em}.center{left:50%;top:50%;transform:translate(-50%,-50%)}' +
  '@media(max-width:30em){.card{left:.5em;right:.5em;width:auto;max-width:none;padding:.75em .5em}.center{transform:translateY(-50%)}}' +
  '@media(prefers-reduced-motion:no-preference){.card{animation:ek-in .2s ease-out}}@keyframes ek-in{from{opacity:0;translate:0 .5em}}' +
  '[hidden]{display:none!important}p{margin:0}.h{margin:0 0 .75em;padding-inline-end:2.25em;font-weight:600}label.h{display:block}' +
  'button,textarea{box-sizing:border-box;min-width:24px;min-height:24px;margin:0;font:inherit;color:inherit;border:1px solid;border-radius:.4em;background:none}' +
  'button{cursor:pointer}:focus-visible{outline:2px solid var(--ek-accent);outline-offset:2px}[tabindex="-1"]{outline:none}' +
  '.g{display:grid;grid-template-columns:repeat(auto-fit,minmax(24px,1fr));gap:2px}.g button{min-height:2.25em;padding:0}' +
  '.g [aria-checked=true],.send{border-color:var(--ek-accent);background:var(--ek-accent);color:var(--ek-background);font-weight:700}' +
  '.g [aria-checked=true]{text-decoration:underline}' +
  '.ends{display:flex;justify-content:space-between;gap:1em;margin-top:.35em;font-size:.875em}.ends :last-child{text-align:end}' +
  'textarea{display:block;width:100%;min-height:5em;margin-bottom:.75em;padding:.5em;resize:vertical;background:var(--ek-background)}' +
  'textarea::placeholder{color:inherit;opacity:.7}.send{min-height:2.25em;padding:.25em 1em}' +
  '.x{position:absolute;top:.5em;inset-inline-end:.5em;width:2em;height:2em;padding:0;border:0;font-size:1.25em;line-height:1}' +
  '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}';

/**
 * Shows survey `spec` (see the README) and reports to `host`: answered(score) when a score is
 * chosen, comment(text) when a non-empty follow-up is sent, dismissed(step) on Escape or the
 * close button, closed() once when the card has gone for any reason, alive() every 30 s while
 * it shows. Returns {close()}, which removes the card (closed(), no dismissed()). Throws,
 * before showing anything, in a browser without constructable stylesheets.
 */
export function open(spec, host) {
  var d = document;
  // The texts as written in the config, in the visitor's language (the collector checked
  // them where it publishes it; an inline config is only shape-checked): anything but a
  // string is left out.
  var lang = localize(spec);
  var t = lang.texts;
  var str = function (v, fallback) {
    return typeof v == 'string' ? v : fallback || '';
  };
  var followUp = t.followUp || {};
  var theme = spec.theme || {};
  var rtl = lang.rtl;
  var step = 'score';
  var back = d.activeElement; // where focus goes back to if the card closes with it inside
  var done, timer;
  var call = function (name) {
    try {
      host[name].apply(host, [].slice.call(arguments, 1)); // closed() and alive() take nothing
    } catch (e) {
      console.warn('engagekit: survey ' + name + '(): ' + e);
    }
  };
  var sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  var el = d.createElement('engagekit-survey');
  var root = el.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [sheet];
  // Plain CSS values only: nothing that ends a declaration, opens a block or loads a URL.
  THEME.forEach(function (k) {
    var v = theme[k];
    if (typeof v == 'string' && v.length <= 120 && !/[;{}<>\\@]|url\(|image|expression/i.test(v)) el.style.setProperty('--ek-' + k, v);
  });
  var mk = function (tag, parent, attrs, text) {
    var e = d.createElement(tag);
    for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.append(text); // a string becomes a text node
    parent.append(e);
    return e;
  };
  var place = PLACEMENTS.indexOf(spec.placement) < 0 ? PLACEMENTS[0] : spec.placement;
  var card = mk('div', root, {
    class: 'card ' + place,
    role: 'region',
    'aria-labelledby': 'q',
    lang: lang.locale,
    dir: rtl ? 'rtl' : 'ltr',
  });

  var scoreStep = mk('div', card);
  mk('p', scoreStep, { id: 'q', class: 'h' }, str(t.question));
  var group = mk('div', scoreStep, { role: 'radiogroup', class: 'g', 'aria-labelledby': 'q', 'aria-describedby': 'lo hi' });
  var radios = [];
  for (var i = 0; i <= 10; i++) {
    radios.push(
      mk('button', group, {
        type: 'button',
        role: 'radio',
        'aria-checked': 'false',
        tabindex: i ? -1 : 0,
        'aria-describedby': i == 0 ? 'lo' : i == 10 ? 'hi' : null,
      }, '' + i)
    );
  }
  var ends = mk('div', scoreStep, { class: 'ends' });
  mk('span', ends, { id: 'lo' }, str(t.low));
  mk('span', ends, { id: 'hi' }, str(t.high));

  var commentStep = mk('div', card, { hidden: '' });
  var label = mk('label', commentStep, { for: 'c', class: 'h' });
  var box = mk('textarea', commentStep, { id: 'c', rows: 4 });
  var send = mk('button', commentStep, { type: 'button', class: 'send' }, str(t.send, 'Send'));

  var thanksStep = mk('div', card, { hidden: '' });
  var thanks = mk('p', thanksStep, { class: 'h', tabindex: -1 }, str(t.thanks));

  // Last in the tab order (the scale first), drawn in the top corner.
  var x = mk('button', card, { type: 'button', class: 'x', 'aria-label': str(t.close, 'Close') }, '\u00d7');
  var live = mk('div', card, { role: 'status', 'aria-live': 'polite', class: 'sr' });
  var steps = { score: scoreStep, comment: commentStep, thanks: thanksStep };

  var end = function () {
    if (done) return;
    done = 1;
    clearInterval(beat);
    clearTimeout(timer);
    watch.disconnect();
    if (root.activeElement && back && back.isConnected && back.focus) back.focus();
    el.remove();
    call('closed');
  };
  var dismiss = function () {
    call('dismissed', step);
    end();
  };
  // The thank-you step closes itself, but not while the visitor is in it (focus or pointer).
  var later = function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!root.activeElement && !card.matches(':hover')) end();
    }, THANKS_MS);
  };
  var go = function (next, target, text) {
    var inside = root.activeElement; // read before hiding the step that may hold focus
    steps[step].hidden = true;
    steps[next].hidden = false;
    step = next;
    if (inside) target.focus();
    else live.textContent = text;
    if (next == 'thanks') later();
  };
  var select = function (n) {
    radios.forEach(function (r, j) {
      r.setAttribute('aria-checked', j == n);
      r.tabIndex = j == n ? 0 : -1;
    });
    radios[n].focus();
  };

  group.addEventListener('keydown', function (e) {
    var k = e.key;
    var i = radios.indexOf(e.target);
    if (i < 0 || e.altKey || e.ctrlKey || e.metaKey) return;
    var by = k == 'ArrowDown' || k == (rtl ? 'ArrowLeft' : 'ArrowRight') ? 1 : k == 'ArrowUp' || k == (rtl ? 'ArrowRight' : 'ArrowLeft') ? -1 : 0;
    var n = k == 'Home' ? 0 : k == 'End' ? 10 : by ? (i + by + 11) % 11 : -1;
    if (n < 0) return;
    e.preventDefault(); // no page scroll
    select(n);
  });
  // Click, tap, and Space or Enter on the focused radio (a button's own activation).
  group.addEventListener('click', function (e) {
    var score = radios.indexOf(e.target);
    if (score < 0 || step != 'score') return;
    call('answered', score);
    var f = followUp[score < 7 ? 'detractor' : score < 9 ? 'passive' : 'promoter'];
    if (f && str(f.question)) {
      label.textContent = f.question;
      box.placeholder = str(f.placeholder);
      go('comment', box, f.question);
    } else go('thanks', thanks, str(t.thanks));
  });
  send.addEventListener('click', function () {
    var text = Array.from(box.value.trim()).slice(0, MAX_COMMENT_CHARS).join('');
    if (text) call('comment', text);
    go('thanks', thanks, str(t.thanks));
  });
  x.addEventListener('click', dismiss);
  card.addEventListener('keydown', function (e) {
    if (e.key != 'Escape' || e.isComposing) return;
    e.stopPropagation(); // meant for the card, not for a dialog of the page's
    dismiss();
  });
  card.addEventListener('focusin', function (e) {
    var from = e.relatedTarget;
    if (from && !root.contains(from)) back = from;
  });
  var resume = function () {
    if (step == 'thanks') later();
  };
  card.addEventListener('focusout', resume);
  card.addEventListener('mouseleave', resume);

  var beat = setInterval(function () {
    call('alive');
  }, ALIVE_MS);
  // The page may take the card out (a framework re-rendering the body): closed() all the same.
  var watch = new MutationObserver(function () {
    if (!el.isConnected) end();
  });
  watch.observe(d.documentElement, { childList: true, subtree: true });
  (d.body || d.documentElement).append(el);
  // Announced once the live region is in the accessibility tree (a region filled as it is
  // inserted is often not read).
  setTimeout(function () {
    if (step == 'score') live.textContent = str(t.question);
  }, 100);
  return { close: end };
}
