/* engagekit loader | MIT */
// What every page runs first, read in five minutes. It fetches the site's config and one
// build of the module: engagekit_widgets (everything) when the page has content slots
// (fetched at once, beside the config), else the one the served config names in `build`
// (core, content, surveys or widgets: the smallest that runs it; for an inline config,
// widgets if it has content, surveys, checklists or a score, else core), and hands over to the
// module's own page code (www/host.js, bundled with it), which replays the calls the snippet
// queued; with an inline config it first loads the chunk that checks and compiles it, and
// calls begin() when it takes over. Until then the calls wait in the snippet's queue, each stamped with the
// time it was made. If the page is hidden or closed before the hand-over, they are kept:
// written to localStorage for the next page of the site to replay, and sent at once as a
// beacon that the collector turns into the same events (same ids: stored once), unless the
// visitor's consent or Do-Not-Track says no. If anything fails (a CSP without
// 'wasm-unsafe-eval', an old browser, a blocked network) it warns once, shows any slots the
// snippet hid, and the page goes on, its calls still queued.
(function (w, d, n) {
  var ek = (w.engagekit = w.engagekit || { q: [] });
  var q = (ek.q = ek.q || []);
  var warn = function (m) {
    console.warn('engagekit: ' + m);
  };
  // Shows the slots the snippet hid (the module decides them first when it can).
  var reveal = function () {
    ek._hide && ek._hide[0].replaceSync('');
  };
  if (ek.loaded) return;
  ek.loaded = 1;
  var me = d.currentScript;
  var base = new URL((me && me.src) || 'engagekit.js', d.URL);
  var args = [];
  q.map(function (c) {
    if (c[0] == 'init') args = c[1];
  });
  var key = args[0];
  var opts = args[1] || {};
  if (!key) return reveal(), warn('no writeKey');
  var host = opts.host || base.origin;
  var id = function () {
    return (Math.random() + '').slice(2);
  };
  var early = 'engagekit:early:' + id();
  var running, cfg, store;
  // The automatic page view, stamped with the time the page started (or, where the browser
  // lacks timeOrigin, when the module runs).
  q.unshift(['_pv', [], performance.timeOrigin]);
  var config = Promise.resolve(
    opts.config ||
      fetch(host + '/v1/config/' + encodeURIComponent(key))
        .then(function (r) {
          if (r.ok) return r.json();
          throw 0;
        })
        .catch(function () {
          warn('no config');
        })
  ).then(function (c) {
    return (cfg = c || {});
  });
  var keep = function (e) {
    if (running || !cfg || (e.type != 'pagehide' && !d.hidden)) return;
    try {
      var p = cfg.privacy || {};
      store = localStorage;
      var c = store.getItem('engagekit:consent');
      var a = store.getItem('engagekit:anonymousId') || id();
      var dnt = n.globalPrivacyControl || n.doNotTrack == 1;
      if (c == 'denied' || (c != 'granted' && (p.requireConsent || (p.honorDnt !== false && dnt)))) return;
      q.forEach(function (c) {
        c[3] = c[3] || id();
      });
      var body = JSON.stringify({
        writeKey: key,
        anonymousId: a,
        consent: c,
        page: { url: d.URL, title: d.title, referrer: d.referrer },
        calls: q,
      });
      n.sendBeacon(host + '/v1/calls', body);
      store.setItem('engagekit:anonymousId', a);
      store.setItem(early, body);
    } catch (x) {}
  };
  w.addEventListener('pagehide', keep, true);
  w.addEventListener('visibilitychange', keep, true);
  var load = function (name) {
    name = 'engagekit_' + name;
    var wasm = fetch(new URL(name + '_bg.wasm', base));
    return import(new URL(name + '.js', base)).then(function (m) {
      return m.default({ module_or_path: wasm }).then(function () {
        return m;
      });
    });
  };
  Promise.all([
    d.querySelector('[data-engagekit-slot]')
      ? load('widgets')
      : config.then(function (c) {
          return load(c.build || (c.content || c.surveys || c.checklists || c.score ? 'widgets' : 'core'));
        }),
    config,
  ])
    .then(function (r) {
      return r[0].start(ek, key, r[1], host + '/v1/batch', reveal, warn, function () {
        running = 1;
        store && store.removeItem(early);
      });
    })
    .catch(function (e) {
      reveal();
      warn('could not start: ' + e);
    });
})(window, document, navigator);
