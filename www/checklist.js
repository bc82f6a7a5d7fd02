/*! engagekit checklist | MIT */
// The onboarding checklist, imported only when the core has decided one shows. The core
// decides who sees it and what is done (it hears the page's events, in every tab); this file
// draws the launcher and the list and reports what the visitor does through `host`. Like the
// survey card (www/survey.js): nothing from the config becomes markup, every text is a text
// node or an attribute value; one constructed stylesheet in an open shadow root, so a page CSP
// without 'unsafe-inline' is fine, and axe and other tooling can still see in.
//
// Keyboard and screen reader: the WAI-ARIA disclosure pattern. The launcher is a button with
// aria-expanded and aria-controls; when the visitor opens the list (click, Enter, Space) focus
// moves into it, onto the next step's action; Escape anywhere in the widget, the close button,
// or the launcher again collapse it, and focus goes back to the launcher. The widget never
// takes focus on its own: not when it appears (even already expanded), not on update().
// Progress changes are announced in a polite live region.

import { localize, own } from './card.js';

var DONE_MS = 6e3; // the celebration stays this long once focus and pointer are out
var THEME = ['accent', 'background', 'text', 'radius', 'font'];
var PLACEMENTS = ['bottom-right', 'bottom-left'];
var NS = 'http://www.w3.org/2000/svg';

// Relative units so the widget follows zoom and text settings; px only for the 24 px minimum
// target size. The colours are the survey's: AA on each other in light and dark.
var CSS =
  ':host{all:initial;--ek-accent:#0b57d0;--ek-background:#fff;--ek-text:#1f1f1f;--ek-radius:.75em;--ek-font:system-ui,sans-serif}' +
  '@media(prefers-color-scheme:dark){:host{--ek-accent:#a8c7fa;--ek-background:#1f1f1f;--ek-text:#e3e3e3}}' +
  // Launcher last in the column but first in the DOM: the list opens above it and comes after
  // it in the tab order, as a disclosure's content should.
  '.w{position:fixed;z-index:2147483000;bottom:1em;display:flex;flex-direction:column-reverse;align-items:flex-end;gap:.5em;' +
  'max-width:calc(100% - 2em);max-height:calc(100% - 2em);font:1em/1.45 var(--ek-font);color:var(--ek-text);text-align:start;overflow-wrap:anywhere}' +
  '.bottom-right{right:1em}.bottom-left{left:1em;align-items:flex-start}' +
  '.c{box-sizing:border-box;max-width:100%;border:1px solid #8888;border-radius:var(--ek-radius);background:var(--ek-background);color:inherit;box-shadow:0 .5em 2em #0004}' +
  '.p{position:relative;width:22em;min-height:0;overflow:auto;padding:1em}.y{width:22em;margin:0;padding:.75em 1em;font-weight:600}' +
  '[hidden]{display:none!important}p{margin:0}' +
  'a,button{box-sizing:border-box;min-width:24px;min-height:24px;margin:0;font:inherit;color:inherit;border:1px solid;border-radius:.4em;background:none;cursor:pointer}' +
  ':focus-visible{outline:2px solid var(--ek-accent);outline-offset:2px}' +
  '.l{flex:none;display:flex;align-items:center;gap:.5em;padding:.375em;padding-inline-end:1em;border-color:#8888;border-radius:2em;text-align:start}' +
  '.l svg{flex:none;width:2em;height:2em;rotate:-90deg}[dir=rtl] .l svg{scale:1 -1}' + // clockwise from the top; anticlockwise in RTL
  'circle{fill:none;stroke:currentColor;stroke-width:4;opacity:.3}circle+circle{stroke:var(--ek-accent);opacity:1}' +
  '.n{font-weight:600}.h{padding-inline-end:2.25em;font-weight:600;font-size:1.125em}.pr,.d,.r{font-size:.875em}' +
  'ul{margin:.5em 0 0;padding:0;list-style:none}li{display:flex;gap:.6em;padding:.6em .25em;border-top:1px solid #8884}li:first-child{border:0}' +
  '.k{flex:none;box-sizing:border-box;width:1.5em;height:1.5em;border:2px solid;border-radius:50%;text-align:center;font-weight:700;line-height:1.25}' +
  '.done .k{border-color:var(--ek-accent);background:var(--ek-accent);color:var(--ek-background)}.lock .k{border-style:dashed}' +
  '.done .a{display:none}.b{flex:1;min-width:0}.t{display:block;font-weight:600}.r{font-style:italic}' +
  '.a{display:flex;flex-wrap:wrap;gap:.5em;margin-top:.35em}.a>*{display:inline-flex;align-items:center;padding:.15em .75em;text-decoration:none}' +
  '.go{border-color:var(--ek-accent);color:var(--ek-accent)}[aria-current] .go{background:var(--ek-accent);color:var(--ek-background);font-weight:600}' +
  '.go[aria-disabled]{border-style:dashed;border-color:inherit;color:inherit;cursor:not-allowed}' +
  '.dis{margin-top:.75em;padding:.15em .75em}' +
  '.x{position:absolute;top:.5em;inset-inline-end:.5em;width:2em;height:2em;padding:0;border:0;font-size:1.25em;line-height:1}' +
  '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}' +
  '@media(prefers-reduced-motion:no-preference){.p,.y{animation:ek-in .2s ease-out}.new{animation:ek-done 1s ease-out}' +
  '.new .k{animation:ek-pop .5s ease-out}circle{transition:stroke-dasharray .4s}}' +
  '@keyframes ek-in{from{opacity:0;translate:0 .5em}}@keyframes ek-done{from{background:#8886}}@keyframes ek-pop{50%{scale:1.4}}';

/**
 * Shows checklist `spec` (see the README) and reports to `host`: toggled(open) when the
 * visitor opens or collapses the list, started(stepId) when they activate a step's action
 * (before a link navigates), done(stepId) when they mark a manual step as done, dismissed()
 * on the dismiss button, closed() once when the widget has gone for any reason. Returns
 * {update(spec), close()}: update re-renders in place (focus and the visitor's open or
 * collapsed state kept; spec.expanded is read only here); close removes the widget (closed(),
 * no dismissed()). Throws, before showing anything, in a browser without constructable
 * stylesheets.
 */
export function open(spec, host) {
  var d = document;
  var str = function (v, fallback) {
    return typeof v == 'string' ? v : fallback || '';
  };
  var back = d.activeElement; // where focus goes back to if the widget goes with it inside
  var items = new Map(); // step id -> its list item (a Map: ids are config strings, "__proto__" too)
  var marked = new Map(); // steps the visitor marked done here, done before the core says so
  var serial = 0;
  var shown, gone, timer, finished, t;
  var call = function (name) {
    try {
      host[name].apply(host, [].slice.call(arguments, 1));
    } catch (e) {
      console.warn('engagekit: checklist ' + name + '(): ' + e);
    }
  };
  // Only http(s) or a path, as www/widgets.js checks links: no javascript:, data: or blob:.
  var safe = function (u) {
    try {
      return typeof u == 'string' && /^https?:$/.test(new URL(u, location.href).protocol);
    } catch (e) {
      return false;
    }
  };
  var sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  var el = d.createElement('engagekit-checklist');
  var root = el.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [sheet];
  var mk = function (tag, parent, attrs, text) {
    var e = d.createElement(tag);
    for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.append(text); // a string becomes a text node
    if (parent) parent.append(e);
    return e;
  };
  var svg = function (tag, parent, attrs) {
    var e = d.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    parent.append(e);
    return e;
  };

  var w = mk('div', root, { role: 'region', 'aria-labelledby': 'h' });
  var launcher = mk('button', w, { type: 'button', class: 'l c', 'aria-expanded': 'false', 'aria-controls': 'p' });
  // The ring only draws what the text says: hidden from screen readers, who get the count.
  var ring = svg('svg', launcher, { viewBox: '0 0 36 36', 'aria-hidden': 'true' });
  svg('circle', ring, { cx: 18, cy: 18, r: 15 });
  var arc = svg('circle', ring, { cx: 18, cy: 18, r: 15, pathLength: 100, 'stroke-dasharray': '0 100' });
  var name = mk('span', launcher, { class: 'n' });
  launcher.append(' '); // "Get started 2 of 5" as words, inside "Get started, 2 of 5 complete" (the name)
  var count = mk('span', launcher);
  // The celebration sits outside the list, so it shows whether the visitor left it open or not.
  var yay = mk('p', w, { class: 'y c', hidden: '' });
  var panel = mk('div', w, { id: 'p', class: 'p c', hidden: '' });
  var h = mk('p', panel, { id: 'h', class: 'h', tabindex: -1 });
  var pr = mk('p', panel, { class: 'pr' });
  var ul = mk('ul', panel);
  var dis = mk('button', panel, { type: 'button', class: 'dis' });
  // Last in the tab order (the steps first), drawn in the top corner.
  var x = mk('button', panel, { type: 'button', class: 'x' }, '\u00d7');
  var live = mk('div', w, { role: 'status', 'aria-live': 'polite', class: 'sr' });

  var end = function () {
    if (gone) return;
    gone = 1;
    clearTimeout(timer);
    watch.disconnect();
    others.disconnect();
    sized.disconnect();
    removeEventListener('resize', lift);
    if (root.activeElement && back && back.isConnected && back.focus) back.focus();
    el.remove();
    call('closed');
  };
  // The celebration closes the widget, but not while the visitor is in it (focus or pointer).
  var later = function () {
    clearTimeout(timer);
    if (finished)
      timer = setTimeout(function () {
        if (!root.activeElement && !w.matches(':hover')) end();
      }, DONE_MS);
  };
  var toggle = function (to) {
    shown = to;
    panel.hidden = !to;
    launcher.setAttribute('aria-expanded', to);
    call('toggled', to);
    // Opened: straight to what there is to do (the next step's action), or the title.
    (to ? ul.querySelector('[aria-current] .go:not([hidden])') || h : launcher).focus();
  };

  // One list item per step id, kept across updates so focus and animations survive.
  var item = function (id) {
    var i = serial++;
    var it = { id: id, li: mk('li', ul, { tabindex: -1 }) }; // focusable: focus lands here when its control goes
    it.k = mk('span', it.li, { class: 'k', 'aria-hidden': 'true' });
    var b = mk('div', it.li, { class: 'b' });
    it.t = mk('span', b, { class: 't', id: 't' + i }, ''); // the title's text node, then its state
    it.s = mk('span', it.t, { class: 'sr' });
    it.d = mk('p', b, { class: 'd', id: 'd' + i });
    it.r = mk('p', b, { class: 'r', id: 'r' + i });
    it.a = mk('div', b, { class: 'a' });
    it.m = mk('button', it.a, { type: 'button' });
    it.m.addEventListener('click', function () {
      if (gone || it.m.hidden) return;
      marked.set(id, 1);
      call('done', id);
      render(spec);
    });
    it.n = i;
    items.set(id, it);
    return it;
  };
  // A step's action: a link when it has a safe href and can be done now, else a button (a
  // locked step's is aria-disabled: still focusable, so its reason is found, but inert).
  var action = function (it, link) {
    var old = it.act;
    if (old && old.tagName == (link ? 'A' : 'BUTTON')) return old;
    var e = (it.act = mk(link ? 'a' : 'button', null, { class: 'go', type: link ? null : 'button' }));
    e.addEventListener('click', function (ev) {
      if (e.getAttribute('aria-disabled')) ev.preventDefault();
      else if (!gone) call('started', it.id); // before a link's navigation, which is the default action
    });
    if (old) {
      var f = root.activeElement == old;
      old.replaceWith(e);
      if (f) e.focus();
    }
    return e;
  };

  var render = function (s, first) {
    spec = s;
    var lang = localize(s);
    t = lang.texts;
    var f = root.activeElement; // read before anything that holds focus can go
    var fli = f && f.closest('li');
    var theme = s.theme || {};
    // Plain CSS values only: nothing that ends a declaration, opens a block or loads a URL.
    THEME.forEach(function (k) {
      var v = theme[k];
      if (typeof v == 'string' && v.length <= 120 && !/[;{}<>\\@]|url\(|image|expression/i.test(v)) el.style.setProperty('--ek-' + k, v);
      else el.style.removeProperty('--ek-' + k);
    });
    w.className = 'w ' + (PLACEMENTS.indexOf(s.placement) < 0 ? PLACEMENTS[0] : s.placement);
    w.dir = lang.rtl ? 'rtl' : 'ltr';
    if (lang.locale) w.lang = lang.locale;
    h.textContent = str(t.title);
    dis.textContent = str(t.dismiss, 'Dismiss');
    dis.hidden = !s.dismissible;
    x.setAttribute('aria-label', str(t.close, 'Close'));

    // Listing order: the next step (the first available one not done) first, then the other
    // open steps, those that can be done now before the locked ones, then the done steps, each
    // group in the config's order. Order rather than a "Next" badge: it is what a screen-reader
    // or keyboard visitor meets first without looking for a marker (and it needs no word in
    // each language), and what is done stops standing between the visitor and what is not.
    var groups = [[], [], []];
    var seen = new Map();
    var news = [];
    var n = 0;
    (Array.isArray(s.steps) ? s.steps : []).forEach(function (st) {
      var id = st && st.id;
      if (typeof id != 'string' || seen.has(id)) return;
      var it = items.get(id) || item(id);
      seen.set(id, it);
      var words = own(own(t, 'steps'), id) || {}; // the step's texts, by its id
      var title = str(words.title);
      var done = !!st.done || marked.has(id);
      var locked = !done && st.available === false;
      var label = str(words.action);
      var fresh = done && it.was === false && !first; // done since the last render: announced, animated
      if (done) n++;
      if (fresh) news.push(title);
      it.was = done;
      it.k.textContent = done ? '\u2713' : '';
      // The title is the action's label when there is no other, and the action then takes the
      // title's place (read first, before the description or a locked step's reason); the
      // title shows on its own once done, or above an action labelled otherwise.
      it.t.firstChild.data = title;
      it.t.hidden = !done && !label;
      it.s.textContent = done ? ', ' + str(t.done, 'done') : '';
      it.d.textContent = str(words.description);
      it.d.hidden = !it.d.textContent;
      it.r.textContent = str(t.locked, 'Complete the previous steps first');
      it.r.hidden = !locked;
      var link = !locked && safe(st.href);
      var act = action(it, link);
      if (label ? act.parentNode != it.a : act.previousSibling != it.t) label ? it.a.prepend(act) : it.t.after(act);
      act.textContent = label || title;
      act.hidden = done;
      if (link) act.setAttribute('href', st.href);
      // Described by its step's title (when labelled otherwise), description, locked reason.
      var by = [label && 't', !it.d.hidden && 'd', locked && 'r'].filter(Boolean).map(function (p) {
        return p + it.n;
      });
      if (by[0]) act.setAttribute('aria-describedby', by.join(' '));
      else act.removeAttribute('aria-describedby');
      if (locked) act.setAttribute('aria-disabled', 'true');
      else act.removeAttribute('aria-disabled');
      it.m.textContent = str(t.markDone, 'Mark as done');
      it.m.setAttribute('aria-label', it.m.textContent + ': ' + title);
      it.m.hidden = done || locked || !st.manual;
      it.li.className = (done ? 'done' : locked ? 'lock' : '') + (fresh ? ' new' : '');
      it.li.removeAttribute('aria-current');
      groups[done ? 2 : locked ? 1 : 0].push(it.li);
    });
    items.forEach(function (it, id) {
      if (!seen.has(id)) {
        items.delete(id);
        it.li.remove();
      }
    });
    // aria-current="step": the step to do now, in words a screen reader already has.
    if (groups[0][0]) groups[0][0].setAttribute('aria-current', 'step');
    // Into that order without moving the node that holds focus (a moved node loses it): the
    // items before it in the order go in before it, the rest after it. The order is always
    // right; focus goes where its item goes (one done while focused ends up with the done).
    var order = [].concat.apply([], groups);
    var at = order.indexOf(fli);
    order.forEach(function (li, i) {
      if (li != fli) at < 0 || i > at ? ul.append(li) : ul.insertBefore(li, fli);
    });

    var total = seen.size;
    var fill = function (tmpl) {
      return tmpl.replace('{done}', n).replace('{total}', total);
    };
    var progress = fill(str(t.progress, '{done} of {total} complete'));
    name.textContent = str(t.launcher, str(t.title));
    count.textContent = fill(str(t.count, '{done} of {total}'));
    launcher.setAttribute('aria-label', name.textContent + ', ' + progress);
    pr.textContent = progress;
    arc.setAttribute('stroke-dasharray', (total ? (100 * n) / total : 0) + ' 100');

    var all = total && n == total;
    yay.textContent = str(t.completed);
    yay.hidden = !all;
    if (all != finished) {
      finished = all;
      later();
    }
    // "Create a board: done. 2 of 4 complete." (or the celebration, once all are done).
    if (news.length && !first)
      live.textContent = news.map(function (title) {
        return title + ': ' + str(t.done, 'done') + '.';
      }).join(' ') + ' ' + (all ? yay.textContent : progress + '.');

    // Focus was on something that has gone (an action once its step is done): keep it near,
    // on the step's item, else the list's title or the launcher.
    var now = root.activeElement;
    if (f && (!now || !now.getClientRects().length))
      (fli && fli.isConnected ? fli : shown ? h : launcher).focus();
  };

  launcher.addEventListener('click', function () {
    toggle(!shown);
  });
  x.addEventListener('click', function () {
    toggle(false);
  });
  dis.addEventListener('click', function () {
    call('dismissed');
    end();
  });
  w.addEventListener('keydown', function (e) {
    if (e.key != 'Escape' || e.isComposing || !shown) return;
    e.stopPropagation(); // meant for the list, not for a dialog of the page's
    toggle(false);
  });
  w.addEventListener('focusin', function (e) {
    var from = e.relatedTarget;
    if (from && !root.contains(from)) back = from;
  });
  w.addEventListener('focusout', later);
  w.addEventListener('mouseleave', later);

  render(spec, 1);
  // Open from the start when the core says so, without focus: the visitor has not asked.
  shown = !!spec.expanded;
  panel.hidden = !shown;
  launcher.setAttribute('aria-expanded', shown);

  // The page may take the widget out (a framework re-rendering the body): closed() all the same.
  var watch = new MutationObserver(function () {
    if (!el.isConnected) end();
  });
  watch.observe(d.documentElement, { childList: true, subtree: true });
  // The survey card (www/survey.js) spans the bottom of a narrow screen: while it is there
  // the widget moves up above it, so neither hides the other. Measured only when a widget
  // comes or goes (the page body's children), the card resizes or the window does.
  var card;
  var lift = function () {
    var s = d.querySelector('engagekit-survey');
    var c = s && s.shadowRoot && s.shadowRoot.querySelector('.card');
    if (c != card) {
      if (card) sized.unobserve(card);
      if ((card = c)) sized.observe(c);
    }
    var r = c && c.getBoundingClientRect();
    var me = w.getBoundingClientRect();
    w.style.bottom = r && r.left < me.right && r.right > me.left && innerHeight - r.bottom < 48 ? innerHeight - r.top + 8 + 'px' : '';
  };
  var sized = new ResizeObserver(lift);
  var others = new MutationObserver(lift);
  (d.body || d.documentElement).append(el);
  others.observe(el.parentNode, { childList: true });
  addEventListener('resize', lift);
  lift();
  return {
    update: function (s) {
      if (!gone && s) render(s);
    },
    close: end,
  };
}
