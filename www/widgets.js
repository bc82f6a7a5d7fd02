/*! engagekit widgets | MIT */
// The page side of the widget builds of the module, bundled with their glue and www/host.js
// into dist/engagekit_content.js, _surveys.js and _widgets.js, which the loader takes only for
// sites whose config has widgets (a build without surveys or checklists has no exports for
// them, and their code here is then never called).
//
// Content slots: <div data-engagekit-slot="hero">default</div>, with variants written by the
// web developer as <template data-engagekit-variant="name"> children. The wasm decides (rules,
// experiment, fallbacks, what to do when it is too late to switch); this file reads the page,
// renders and watches. Nothing from the config becomes markup: a page variant is a clone of
// the page's own <template>; a config variant is built from text nodes, a checked http(s)
// link and an image. The page's own nodes are never moved or removed (a framework may own
// them): while a variant shows, they are hidden, and the variant's nodes sit beside them.
//
// No flicker: the snippet hides slots with a constructed stylesheet until mount() has
// decided every slot on the page in one pass, or until its timeout. Slots added later (SPA)
// are decided in the MutationObserver callback, before the browser paints them. A slot counts
// as seen (`Content Viewed`) once half of it, or half the viewport, has been on screen for a
// second in a visible tab (the IAB's viewability rule), or at once when it is clicked.
var SLOT = '[data-engagekit-slot]';
var VARIANT = 'data-engagekit-variant';
var HIDDEN = 'data-engagekit-hidden';
var DWELL_MS = 1000;

/**
 * Starts content slots. `call(name)` wraps a module export as the loader does (its actions
 * are carried out); `hide` is the snippet's [stylesheet, deadline] if it hides slots.
 * Returns the function the loader calls after each SPA navigation. Never throws.
 */
export function mount(call, hide, warn) {
  var d = document;
  var w = window;
  var decide = call('decide');
  var viewed = call('viewed');
  var state = new WeakMap(); // slot element -> {name, shown, own: [our nodes], hid: [its nodes]}
  var inView = new Set();
  var timers = new Map(); // slot element -> dwell timer
  var started = false;
  var io;
  var sheet;
  var guard = function (f) {
    return function (a, b) {
      try {
        f(a, b);
      } catch (e) {
        warn('content slots: ' + e);
      }
    };
  };
  // f(slot) for `root` and each slot inside it.
  var each = function (root, f) {
    if (root.matches(SLOT)) f(root);
    root.querySelectorAll(SLOT).forEach(function (el) {
      f(el);
    });
  };
  var isVariant = function (n) {
    return n.nodeName == 'TEMPLATE' && n.hasAttribute(VARIANT);
  };
  var make = function (tag, cls, text) {
    var e = d.createElement(tag);
    e.className = cls;
    if (text) e.textContent = text;
    return e;
  };
  // The core accepts only http(s) URLs and paths on this site; check again where it lands.
  var safe = function (u) {
    try {
      return /^https?:$/.test(new URL(u, location.href).protocol);
    } catch (e) {
      return false;
    }
  };
  var structured = function (c) {
    var box = make('div', 'engagekit-content');
    if (c.image && safe(c.image)) {
      var img = make('img', 'engagekit-image');
      img.src = c.image;
      img.alt = c.imageAlt || '';
      box.append(img);
    }
    var level = Math.min(6, Math.max(1, c.heading | 0 || 2));
    if (c.title) box.append(make('h' + level, 'engagekit-title', c.title));
    if (c.body) box.append(make('p', 'engagekit-body', c.body));
    if (c.ctaLabel && safe(c.ctaHref)) {
      var a = make('a', 'engagekit-cta', c.ctaLabel);
      a.href = c.ctaHref;
      box.append(a);
    }
    return box;
  };
  // Hides one of the page's own nodes while a variant shows (text outside an element cannot
  // be hidden without moving it, so it stays, with a warning).
  var conceal = function (s, n) {
    if (n.nodeType == 1) {
      if (n.hidden || n.hasAttribute(HIDDEN)) return;
      n.setAttribute(HIDDEN, '');
      if (!sheet) n.hidden = true;
      s.hid.push(n);
    } else if (n.nodeType == 3 && n.data.trim() && !s.warned) {
      s.warned = 1;
      warn('slot "' + s.name + '": text outside an element stays next to the variant; wrap it in an element');
    }
  };
  // Shows `variant` in the slot: our nodes for it, the page's own nodes for the default.
  var show = function (el, s, variant, content) {
    if (variant == s.shown) return;
    var nodes = [];
    if (variant != 'default') {
      var t = [].find.call(el.children, function (c) {
        return isVariant(c) && c.getAttribute(VARIANT) == variant;
      });
      if (content) nodes = [structured(content)];
      else if (t) nodes = [].slice.call(d.importNode(t.content, true).childNodes);
      else return;
    }
    s.own.forEach(function (n) {
      n.remove();
    });
    s.hid.forEach(function (n) {
      n.removeAttribute(HIDDEN);
      if (!sheet) n.hidden = false;
    });
    s.hid = [];
    if (variant != 'default') {
      [].forEach.call(el.childNodes, function (n) {
        if (!isVariant(n)) conceal(s, n);
      });
    }
    var at = [].find.call(el.children, isVariant) || null;
    nodes.forEach(function (n) {
      el.insertBefore(n, at);
    });
    s.own = nodes;
    s.shown = variant;
  };
  var apply = guard(function (el, late) {
    var s = state.get(el);
    if (!s) {
      s = { name: el.getAttribute('data-engagekit-slot'), shown: 'default', own: [], hid: [] };
      state.set(el, s);
    }
    if (io && el.isConnected) io.observe(el); // again after a removal; twice is harmless
    var names = [].filter.call(el.children, isVariant).map(function (t) {
      return t.getAttribute(VARIANT);
    });
    var r = decide(s.name, names, !!late);
    show(el, s, r ? r.variant : 'default', r && r.content);
    el.setAttribute('data-engagekit-shown', s.shown);
  });
  // Slots in view in a visible tab are reported after they have stayed so for DWELL_MS.
  var dwell = function () {
    if (d.visibilityState != 'visible') return;
    inView.forEach(function (el) {
      if (timers.has(el)) return;
      timers.set(
        el,
        setTimeout(
          guard(function () {
            timers.delete(el);
            var s = state.get(el);
            if (s && inView.has(el) && el.isConnected && d.visibilityState == 'visible') viewed(s.name);
          }),
          DWELL_MS
        )
      );
    });
  };
  var stop = function (el) {
    clearTimeout(timers.get(el));
    timers.delete(el);
  };
  var stopAll = function () {
    timers.forEach(function (_, el) {
      stop(el);
    });
  };
  // Has the visitor possibly seen this slot's default already? Only if the snippet has
  // stopped hiding slots (or never could), the tab is visible (a background tab paints
  // nothing) and the slot is on screen. The core decides what follows.
  var onScreen = function (el) {
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < w.innerHeight && r.left < w.innerWidth;
  };
  var start = guard(function () {
    if (started) return;
    started = true;
    var hidingOver = !hide || !hide[0].cssRules.length;
    var visible = d.visibilityState == 'visible';
    each(d.documentElement, function (el) {
      apply(el, hidingOver && visible && onScreen(el));
    });
    try {
      if (hide) hide[0].replaceSync('');
    } catch (e) {}
    new MutationObserver(
      guard(function (records) {
        records.forEach(function (r) {
          var s = state.get(r.target);
          r.addedNodes.forEach(function (n) {
            // The page's framework added to a slot showing a variant: hide that too.
            if (s && s.shown != 'default' && n.parentNode == r.target && s.own.indexOf(n) < 0 && !isVariant(n)) conceal(s, n);
            if (n.nodeType == 1) each(n, apply);
          });
          r.removedNodes.forEach(function (n) {
            if (n.nodeType == 1)
              each(n, function (el) {
                if (!el.isConnected) {
                  if (io) io.unobserve(el);
                  inView.delete(el);
                  stop(el);
                }
              });
          });
        });
      })
    ).observe(d.documentElement, { childList: true, subtree: true });
  });
  try {
    var thresholds = [];
    for (var i = 0; i <= 100; i++) thresholds.push(i / 100);
    io =
      w.IntersectionObserver &&
      new IntersectionObserver(
        guard(function (entries) {
          entries.forEach(function (e) {
            var r = e.intersectionRect;
            var seen = e.isIntersecting && r.width * r.height > 0 && (e.intersectionRatio >= 0.5 || r.height >= w.innerHeight / 2);
            if (seen) inView.add(e.target);
            else {
              inView.delete(e.target);
              stop(e.target);
            }
          });
          dwell();
        }),
        { threshold: thresholds }
      );
    sheet = new CSSStyleSheet();
    sheet.replaceSync('[' + HIDDEN + ']{display:none!important}');
    d.adoptedStyleSheets = d.adoptedStyleSheets.concat(sheet);
  } catch (e) {
    sheet = null; // an older browser: the `hidden` attribute instead
  }
  // A click inside a slot proves it was seen, however soon (before the page's own handlers,
  // so the exposure is recorded before a conversion the click may cause).
  d.addEventListener(
    'click',
    guard(function (e) {
      var el = e.target.closest && e.target.closest(SLOT);
      var s = el && state.get(el);
      if (s) viewed(s.name);
    }),
    true
  );
  d.addEventListener(
    'visibilitychange',
    guard(function () {
      if (d.visibilityState == 'visible') dwell();
      else stopAll();
    })
  );
  // A slot's children may still be arriving while the document loads: decide once they
  // are all there (the snippet's timer still bounds how long slots stay hidden).
  if (d.readyState == 'loading') d.addEventListener('DOMContentLoaded', start);
  else start();
  // After SPA navigation: a new page view decides afresh, and the slots in view are seen
  // anew once they have stayed in view for the new page view's own second.
  return guard(function () {
    if (!started) return;
    stopAll();
    each(d.documentElement, apply);
    dwell();
  });
}

/**
 * Shows a survey the module decided on: downloads the card's code (dist/engagekit_survey.js,
 * beside this file; a visitor who is never asked never downloads it) and renders `card`,
 * reporting each step with `surveyed(step, value)`. Never throws.
 */
export function prompt(call, card, warn) {
  var report = call('surveyed');
  var step = function (name) {
    return function (value) {
      report(name, value);
    };
  };
  import(new URL('engagekit_survey.js', import.meta.url))
    .then(function (chunk) {
      chunk.open(card, {
        answered: step('answered'),
        comment: step('comment'),
        dismissed: step('dismissed'),
        closed: step('closed'),
        alive: step('alive'),
      });
    })
    .catch(function (e) {
      warn('the survey could not show: ' + e);
      report('closed');
    });
}

/**
 * Reports scroll depth to `scrolled` (started only while a survey waits for one): the
 * deepest point seen on this page view, in percent of the page, when it grows, at most once
 * a frame. Returns the function that starts a new page view's depth at 0.
 */
export function depth(scrolled) {
  var w = window;
  var deepest = 0;
  var frame = 0;
  w.addEventListener(
    'scroll',
    function () {
      frame =
        frame ||
        requestAnimationFrame(function () {
          frame = 0;
          var p = Math.min(100, Math.round(((w.scrollY + w.innerHeight) / document.documentElement.scrollHeight) * 100));
          if (p > deepest) scrolled((deepest = p));
        });
    },
    { passive: true }
  );
  return function () {
    deepest = 0;
  };
}

// Checklists on screen, by id: the promise of the widget's handle ({update, close}).
var lists = {};

/**
 * Shows or updates the checklists the module decided on (`all`: the page view's full set,
 * so any other on screen goes). Downloads the widget's code (dist/engagekit_checklist.js)
 * the first time one shows; reports what the visitor does with `checklisted(kind, id, value)`.
 * Never throws.
 */
export function checklists(call, cards, all, warn) {
  var report = call('checklisted');
  var ids = cards.map(function (c) {
    return c.id;
  });
  if (all)
    Object.keys(lists).forEach(function (id) {
      if (ids.indexOf(id) < 0)
        lists[id].then(function (w) {
          w && w.close();
        });
    });
  cards.forEach(function (card) {
    var id = card.id;
    if (lists[id])
      return lists[id].then(function (w) {
        w && w.update(card);
      });
    lists[id] = import(new URL('engagekit_checklist.js', import.meta.url))
      .then(function (chunk) {
        return chunk.open(card, {
          toggled: function (open) {
            report('toggled', id, open);
          },
          started: function () {},
          done: function (step) {
            report('done', id, step);
          },
          dismissed: function () {
            report('dismissed', id);
          },
          closed: function () {
            delete lists[id];
          },
        });
      })
      .catch(function (e) {
        warn('the checklist could not show: ' + e);
        delete lists[id];
      });
  });
}

/**
 * Fetches the identified visitor's state from their other devices (`base` + userId +
 * `?hash=`, the identity hash their site's server made) and hands it to the module, which
 * merges it in. Nothing on failure: progress then stays this device's.
 */
export function remote(call, base, user, hash) {
  fetch(base + encodeURIComponent(user) + '?hash=' + encodeURIComponent(hash), { credentials: 'omit' })
    .then(function (r) {
      return r.ok && r.json();
    })
    .then(
      function (state) {
        state && call('remote')(state);
      },
      function () {}
    );
}
