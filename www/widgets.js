/*! engagekit widgets | MIT */
// The page side of the widgets build of the module, bundled with its glue into
// dist/engagekit_widgets.js, which the loader takes only for sites whose config has widgets.
//
// Content slots: <div data-engagekit-slot="hero">default</div>, with variants written by the
// web developer as <template data-engagekit-variant="name"> children. The wasm decides
// (rules, experiment, fallbacks); this file renders and watches. Nothing from the config
// becomes markup: a page variant is a clone of the page's own <template>; a config variant
// is built from text nodes, a checked http(s) link and an image.
//
// No flicker: the snippet hides slots with a constructed stylesheet until mount() has
// decided every slot on the page in one pass, or until its timeout, after which a slot the
// visitor can see keeps its default for the page view. Slots added later (SPA) are decided
// in the MutationObserver callback, before the browser paints them. A slot counts as seen
// (`Content Viewed`) when half of it, or half the viewport, is on screen in a visible tab.
export * from 'engagekit-glue';
export { default } from 'engagekit-glue';

var SLOT = '[data-engagekit-slot]';
var VARIANT = 'data-engagekit-variant';

/**
 * Starts content slots. `call(name)` wraps a module export as the loader does (its actions
 * are carried out); `hide` is the snippet's [stylesheet, deadline] if it hides slots.
 * Returns the function the loader calls after each SPA navigation.
 */
export function mount(call, hide, warn) {
  var d = document;
  var w = window;
  var decide = call('decide');
  var viewed = call('viewed');
  var state = new WeakMap(); // slot element -> {name, shown, def, cur}
  var inView = new Set();
  var guard = function (f) {
    return function (a) {
      try {
        f(a);
      } catch (e) {
        warn('content slots: ' + e);
      }
    };
  };
  var each = function (root, f) {
    if (root.matches(SLOT)) f(root);
    root.querySelectorAll(SLOT).forEach(f);
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
  // Swaps what the slot shows; its default nodes are kept to come back to.
  var show = function (el, s, variant, content) {
    if (variant == s.shown) return;
    var nodes;
    if (variant == 'default') {
      nodes = s.def;
    } else {
      var t = [].find.call(el.children, function (c) {
        return isVariant(c) && c.getAttribute(VARIANT) == variant;
      });
      if (t) nodes = [].slice.call(d.importNode(t.content, true).childNodes);
      else if (content) nodes = [structured(content)];
      else return;
    }
    var at = [].find.call(el.children, isVariant) || null;
    s.cur.forEach(function (n) {
      n.remove();
    });
    nodes.forEach(function (n) {
      el.insertBefore(n, at);
    });
    s.cur = nodes;
    s.shown = variant;
  };
  var apply = function (el, late) {
    var s = state.get(el);
    if (!s) {
      var def = [].filter.call(el.childNodes, function (n) {
        return !isVariant(n);
      });
      s = { name: el.getAttribute('data-engagekit-slot'), shown: 'default', def: def, cur: def };
      state.set(el, s);
      if (io) io.observe(el);
    }
    var names = [].filter.call(el.children, isVariant).map(function (t) {
      return t.getAttribute(VARIANT);
    });
    var r = decide(s.name, names, !!late);
    show(el, s, r ? r.variant : 'default', r && r.content);
    el.setAttribute('data-engagekit-shown', s.shown);
  };
  var report = function () {
    if (d.visibilityState != 'visible') return;
    inView.forEach(function (el) {
      var s = state.get(el);
      if (s && el.isConnected) viewed(s.name);
    });
  };
  var io =
    w.IntersectionObserver &&
    new IntersectionObserver(
      guard(function (entries) {
        entries.forEach(function (e) {
          var r = e.intersectionRect;
          var seen = e.isIntersecting && r.width * r.height > 0 && (e.intersectionRatio >= 0.5 || r.height >= w.innerHeight / 2);
          if (seen) inView.add(e.target);
          else inView.delete(e.target);
        });
        report();
      }),
      { threshold: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] }
    );
  // Has the visitor possibly seen this slot's default already? Not in a background tab (one
  // opened with a middle click), which paints nothing until it is shown.
  var onScreen = function (el) {
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < w.innerHeight && r.left < w.innerWidth;
  };
  var deadline = hide && hide[1];
  var late = deadline && Date.now() >= deadline && d.visibilityState == 'visible';
  guard(function () {
    d.querySelectorAll(SLOT).forEach(function (el) {
      apply(el, late && onScreen(el));
    });
  })();
  try {
    if (hide) hide[0].replaceSync('');
  } catch (e) {}
  new MutationObserver(
    guard(function (records) {
      records.forEach(function (r) {
        r.addedNodes.forEach(function (n) {
          if (n.nodeType == 1) each(n, function (el) {
            apply(el);
          });
        });
        r.removedNodes.forEach(function (n) {
          if (n.nodeType == 1)
            each(n, function (el) {
              if (!el.isConnected) {
                if (io) io.unobserve(el);
                inView.delete(el);
              }
            });
        });
      });
    })
  ).observe(d.documentElement, { childList: true, subtree: true });
  d.addEventListener('visibilitychange', guard(report));
  // After SPA navigation: a new page view decides afresh and reports again.
  return guard(function () {
    d.querySelectorAll(SLOT).forEach(function (el) {
      apply(el);
    });
    report();
  });
}
