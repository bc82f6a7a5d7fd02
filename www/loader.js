/*! engagekit loader | MIT */
// The host side of engagekit, read in five minutes. It fetches the config and one of two
// builds of the module: engagekit_core (tracking) or engagekit_widgets (tracking and
// widgets), the latter when the page has content slots (fetched at once, beside the config)
// or the config has widgets. Then it replays the snippet's queued calls and does the I/O the
// module asks for: each module call returns a list of actions, [0, id, body, keepalive]
// send, [1, id, body] send while the page unloads, [2, ms] set the timer (-1: cancel), [3]
// persist at the end of this task (write-behind, so a burst of calls is written once). If
// anything fails (CSP without 'wasm-unsafe-eval', an old browser, a blocked network) it warns
// once, shows any slots the snippet hid, and the page goes on, its calls still queued.
(function (w, d) {
  var ek = (w.engagekit = w.engagekit || { q: [] });
  var q = ek.q || [];
  var warn = function (m) {
    console.warn('engagekit: ' + m);
  };
  // Shows the slots the snippet hid (the module decides them first when it can).
  var reveal = function () {
    try {
      ek._hide[0].replaceSync('');
    } catch (e) {}
  };
  if (ek.loaded) return;
  ek.loaded = 1;
  var me = d.currentScript;
  var base = new URL((me && me.src) || 'engagekit.js', location.href);
  var args;
  for (var i = 0; i < q.length; i++) if (q[i][0] == 'init') args = q[i][1];
  var key = args ? args[0] : me && me.getAttribute('data-write-key');
  var opts = Object.assign({}, args && args[1]);
  if (!key) return reveal(), warn('no writeKey: call engagekit.init("YOUR_WRITE_KEY") in the snippet');
  var host = opts.host || base.origin;
  var config =
    opts.config ||
    fetch(host + '/v1/config/' + encodeURIComponent(key))
      .then(function (r) {
        if (r.ok) return r.json();
        warn('config answered ' + r.status + '; using defaults');
      })
      .catch(function () {
        warn('config could not be fetched; using defaults');
      });
  var load = function (name) {
    var wasm = fetch(new URL(name + '_bg.wasm', base));
    return import(new URL(name + '.js', base)).then(function (m) {
      return m.default({ module_or_path: wasm }).then(function () {
        return m;
      });
    });
  };
  var widgets = 'engagekit_widgets';
  Promise.all([
    d.querySelector('[data-engagekit-slot]')
      ? load(widgets)
      : Promise.resolve(config).then(function (c) {
          return load(c && c.content ? widgets : 'engagekit_core');
        }),
    config,
  ])
    .then(function (r) {
      var m = r[0];
      var url = host + '/v1/batch';
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
      var act = function (a) {
        if (a[0] == 3) queueMicrotask(persist);
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
      var settle = call('settle');
      var persist = call('persist');
      'track page identify reset consent forget flush score debug'.split(' ').forEach(function (n) {
        ek[n] = call(n);
      });
      var waiting = [];
      var run = function (f) {
        try {
          f(ek);
        } catch (e) {
          warn('a ready() callback threw: ' + e);
        }
      };
      // ready() callbacks wait for the replay and for mount() (which decides the slots now,
      // or at DOMContentLoaded if the document is still being parsed).
      ek.ready = function (f) {
        waiting.push(f);
      };
      var on = function (t, name, f) {
        t.addEventListener(name, f, true);
      };
      var refresh = reveal;
      var navigated = call('navigated');
      var nav = function () {
        navigated();
        refresh();
      };
      var adopt = call('adopt');
      var lockedAdopt = function () {
        navigator.locks ? navigator.locks.request('engagekit:adopt', adopt) : adopt();
      };
      call('init')(key, { config: r[1] });
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
      if (m.wantsClicks()) {
        on(d, 'click', function (e) {
          var el = e.target.closest && e.target.closest('a,button,[role=button],input[type=submit],input[type=button]');
          if (el) call('click')(el.tagName, el.id, el.innerText || el.value, el.href);
        });
      }
      q.forEach(function (c) {
        if (c[0] != 'init' && ek[c[0]]) ek[c[0]].apply(null, c[1]);
      });
      q.length = 0;
      // After the replay, so traits from an early identify() count in the decisions. The
      // widgets code shows the slots once decided; without it there is nothing to wait for.
      if (m.mount) refresh = m.mount(call, ek._hide, warn);
      else reveal();
      ek.ready = run;
      waiting.forEach(run);
    })
    .catch(function (e) {
      reveal();
      warn('could not start (' + e + '); the page goes on without it');
    });
})(window, document);
