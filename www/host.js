/*! engagekit host | MIT */
// The page side of the module, bundled with its glue (dist/engagekit_core.js and, with
// www/widgets.js, dist/engagekit_content.js, _surveys.js and _widgets.js), so the loader
// every page runs stays small.
// start() takes over from the loader: it carries out the actions each module call returns
// ([0, id, body, keepalive] send, [1, id, body] send while the page unloads, [2, ms] set the
// timer (-1: cancel), [3] persist soon, [4, card] show a survey, [5, json] an event was
// recorded, for on() listeners, [6, cards, all] show or update checklists, [7, userId,
// hash] fetch the identified visitor's state from other devices), owns the listeners (SPA
// navigation, visibility, bfcache, online, clicks, the cross-tab adoption timer), replays the
// calls the snippet queued, each with the time it was made, and runs ready() callbacks. Every
// decision is the module's; nothing here throws into the page.
import init, { api as m } from 'engagekit-glue';
import { checklists, depth, mount, prompt, remote } from 'engagekit-widgets';
import { clicked } from './click.js';

export default init;

var WRITE_MS = 100;

/**
 * `ek` is window.engagekit with the snippet's queue `ek.q` of [name, args, time, id?] (the
 * first, "_pv", is the page view the loader stamped); `config` the site's config as the
 * collector serves it, an inline one, or {} (none could be fetched: the defaults); `url` is
 * the collector's batch URL; `begin()` tells the loader the module has taken over.
 */
export function start(ek, key, config, url, reveal, warn, begin) {
  // An inline config (passed to init) is checked and compiled first, by the compile chunk,
  // to the form the collector serves; until then the loader keeps the page's calls.
  if (config && !config.compiled && Object.keys(config).length) {
    return import(new URL('engagekit_config.js', import.meta.url)).then(function (c) {
      return c.default().then(function () {
        go(ek, key, c.api.compile(config), url, reveal, warn, begin);
      });
    });
  }
  go(ek, key, config && config.compiled ? config : undefined, url, reveal, warn, begin);
}

function go(ek, key, config, url, reveal, warn, begin) {
  begin();
  var w = window;
  var d = document;
  var q = ek.q;
  var timer;
  var call = function (name) {
    return function () {
      try {
        var out = m[name].apply(null, arguments);
        if (Array.isArray(out)) out.forEach(act);
        else return out;
      } catch (e) {
        warn(name + '() failed: ' + e);
      }
    };
  };
  var settle = call('settle');
  var persist = call('persist');
  // Write-behind: storage writes cost tens of µs each in Chromium, so a run of calls (one per
  // task, like scroll or click tracking) is written at most every WRITE_MS; a send, hiding
  // and leaving the page write at once.
  var act = function (a) {
    if (a[0] == 7) remote(call, url.replace(/batch$/, 'visitors/') + encodeURIComponent(key) + '/', a[1], a[2]);
    else if (a[0] == 6) checklists && checklists(call, a[1], a[2], warn);
    else if (a[0] == 5) heard(JSON.parse(a[1]));
    else if (a[0] == 4) prompt && prompt(call, a[1], warn);
    else if (a[0] == 3) setTimeout(persist, WRITE_MS);
    else if (a[0] == 2) {
      clearTimeout(timer);
      if (a[1] >= 0) timer = setTimeout(call('wake'), a[1]);
    } else if (!(a[0] == 1 && navigator.sendBeacon && navigator.sendBeacon(url, a[2]))) {
      // A string body is text/plain: a CORS-simple request, no preflight to lose.
      fetch(url, { method: 'POST', body: a[2], keepalive: a[0] == 1 || a[3], credentials: 'omit' })
        .then(
          function (res) {
            return [res.status, res.headers.get('Retry-After')];
          },
          function () {
            return [];
          }
        )
        .then(function (s) {
          settle(a[1], s[0], s[1]);
        });
    }
  };
  'track page identify reset consent forget flush score debug survey'.split(' ').forEach(function (n) {
    ek[n] = m[n] ? call(n) : function () {
      warn(n + '(): this site has none in its config');
    };
  });
  // complete(checklistId, stepId), or checklist(id).complete(stepId) once running: a step
  // done, by the page's code. The flat form is in the snippet, so it queues before the
  // module runs and is replayed with the time it was made.
  var complete = call('checklistComplete');
  ek.complete = function (id, step) {
    m.checklistComplete ? complete(id, step) : warn('complete(): this site has no checklists in its config');
  };
  ek.checklist = function (id) {
    return {
      complete: function (step) {
        ek.complete(id, step);
      },
    };
  };
  // on(name, fn): fn(event) after each event of that name (or type: 'page', 'identify';
  // '*' for all) is recorded. The module sends recorded events back only while someone
  // listens.
  var listeners = [];
  var started;
  ek.on = function (name, fn) {
    if (typeof fn != 'function') return warn('on(): expected a function');
    if (!listeners.length && started) call('listen')(true);
    listeners.push([name, fn]);
  };
  var heard = function (e) {
    listeners.forEach(function (l) {
      if (l[0] == '*' || l[0] == (e.event || e.type)) {
        try {
          l[1](e);
        } catch (x) {
          warn('an on("' + l[0] + '") listener threw: ' + x);
        }
      }
    });
  };
  var waiting = [];
  var run = function (f) {
    try {
      f(ek);
    } catch (e) {
      warn('a ready() callback threw: ' + e);
    }
  };
  // ready() callbacks wait for the replay and for mount() (which decides the slots now, or
  // at DOMContentLoaded if the document is still being parsed).
  ek.ready = function (f) {
    waiting.push(f);
  };
  var on = function (t, name, f) {
    t.addEventListener(name, f, true);
  };
  var refresh = reveal;
  var navigated = call('navigated');
  var nav = function () {
    rescroll && rescroll();
    navigated();
    refresh();
  };
  // Each call with the time and id the snippet gave it; a call that records nothing leaves
  // no stamp for the next.
  var replay = function (c) {
    m.stamp(c[2], c[3]);
    ek[c[0]].apply(null, c[1]);
    m.stamp();
  };
  var past = call('past');
  // Pages of the site the visitor left before their module ran: the calls the loader kept
  // (www/loader.js), replayed on the page they were made on, its page view first; none of a
  // page that called reset() or forget(). The collector replays the beacon of the same
  // calls the same way, so each is stored once.
  var kept = function () {
    Object.keys(localStorage).forEach(function (k) {
      if (k.indexOf('engagekit:early:')) return;
      var r = localStorage.getItem(k);
      localStorage.removeItem(k);
      r = JSON.parse(r);
      var calls = r.calls.filter(function (c) {
        return /^(track|page|identify|consent|complete|reset|forget)$/.test(c[0]);
      });
      if (calls.some(function (c) { return /^(reset|forget)$/.test(c[0]); })) return;
      m.stamp(r.calls[0][2], r.calls[0][3]);
      past(r.page);
      try {
        calls.forEach(replay);
      } finally {
        past();
      }
    });
  };
  var adopt = call('adopt');
  var lockedAdopt = function () {
    var both = function () {
      try {
        kept();
      } catch (e) {}
      adopt();
    };
    navigator.locks ? navigator.locks.request('engagekit:adopt', both) : both();
  };
  // The page view the loader stamped when the page started.
  var pv = q[0] && q[0][0] == '_pv' ? q.shift() : [];
  // on() listeners the page set before the module ran hear everything, the first page view
  // included.
  q = q.filter(function (c) {
    return c[0] != 'on' || ek.on.apply(null, c[1]);
  });
  m.stamp(pv[2], pv[3]);
  call('init')(key, { config: config, listen: listeners.length > 0 });
  started = 1;
  m.stamp();
  lockedAdopt();
  setInterval(lockedAdopt, 3e4);
  ['pushState', 'replaceState'].forEach(function (f) {
    var orig = history[f];
    history[f] = function () {
      var out = orig.apply(this, arguments);
      nav();
      return out;
    };
  });
  on(w, 'popstate', nav);
  on(w, 'hashchange', nav);
  on(w, 'pagehide', function () {
    call('hide')(1);
  });
  on(w, 'pageshow', function (e) {
    if (e.persisted) call('show')(1);
  });
  on(w, 'online', call('online'));
  on(d, 'visibilitychange', function () {
    call(d.visibilityState == 'hidden' ? 'hide' : 'show')(0);
  });
  var rescroll = m.scrollAt && m.scrollAt() >= 0 ? depth(call('scrolled')) : 0;
  if (m.wantsClicks()) {
    on(d, 'click', function (e) {
      var el = e.target.closest && e.target.closest('a,button,[role=button],input[type=submit],input[type=button]');
      if (el) call('track')('Element Clicked', clicked(el));
    });
  }
  q.forEach(function (c) {
    if (c[0] != 'init' && ek[c[0]]) replay(c);
  });
  ek.q.length = 0;
  // After the replay, so traits from an early identify() count in the decisions. The widgets
  // code shows the slots once decided; without it there is nothing to wait for.
  if (mount) refresh = mount(call, ek._hide, warn);
  else reveal();
  ek.ready = run;
  waiting.forEach(run);
}
