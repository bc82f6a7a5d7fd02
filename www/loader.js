/*! engagekit loader: replays the snippet's queued calls into the wasm module. MIT. */
// Reads like Plausible's tracker on purpose: every line earns its bytes. It starts the config
// fetch, the glue import and the wasm download at once, and if any of it fails (CSP without
// 'wasm-unsafe-eval', an old browser, a blocked network) it warns once and the page goes on,
// with calls still queued by the snippet's stubs.
(function (w, d) {
  var NAMES = 'init track page identify reset consent forget flush ready score debug'.split(' ');
  var ek = (w.engagekit = w.engagekit || { q: [] });
  var q = ek.q || [];
  var warn = function (m) {
    console.warn('engagekit: ' + m);
  };
  if (ek.loaded) return;
  ek.loaded = 1;
  var script = d.currentScript;
  var base = new URL(script && script.src ? script.src : 'engagekit.js', location.href);
  var args;
  for (var i = 0; i < q.length; i++) if (q[i][0] == 'init') args = q[i][1];
  var key = args ? args[0] : script && script.getAttribute('data-write-key');
  var opts = Object.assign({}, args && args[1]);
  if (!key) return warn('no writeKey: call engagekit.init("YOUR_WRITE_KEY") in the snippet');
  var host = (opts.host = opts.host || base.origin);
  var config = opts.config
    ? Promise.resolve(opts.config)
    : fetch(host + '/v1/config/' + encodeURIComponent(key))
        .then(function (r) {
          if (r.ok) return r.json();
          warn('config answered ' + r.status + '; using defaults');
        })
        .catch(function () {
          warn('config could not be fetched; using defaults');
        });
  var wasm = fetch(new URL('engagekit_core_bg.wasm', base));
  Promise.all([
    import(new URL('engagekit_core.js', base)).then(function (m) {
      return m.default({ module_or_path: wasm }).then(function () {
        return m;
      });
    }),
    config,
  ])
    .then(function (r) {
      var m = r[0];
      var call = function (name) {
        return function () {
          try {
            return m[name].apply(null, arguments);
          } catch (e) {
            warn(name + '() failed: ' + e);
          }
        };
      };
      NAMES.forEach(function (n) {
        if (m[n]) ek[n] = call(n);
      });
      ek.ready = function (f) {
        try {
          f(ek);
        } catch (e) {
          warn('a ready() callback threw: ' + e);
        }
      };
      opts.config = r[1] || undefined;
      ek.init(key, opts);
      var nav = call('navigated');
      ['pushState', 'replaceState'].forEach(function (f) {
        var orig = history[f];
        history[f] = function () {
          var out = orig.apply(this, arguments);
          nav();
          return out;
        };
      });
      w.addEventListener('popstate', nav);
      w.addEventListener('hashchange', nav);
      q.forEach(function (c) {
        if (c[0] != 'init' && ek[c[0]]) ek[c[0]].apply(null, c[1]);
      });
      q.length = 0;
    })
    .catch(function (e) {
      warn('could not start (' + e + '); the page goes on without it');
    });
})(window, document);
