// The bench pages: one identical page per library, which differs only in the few lines that
// load and start the library with its documented options. Every page defines
// `window.__bench = {ready, track?, lib}`: `ready` resolves with performance.now() when the
// library says it is ready (engagekit.ready, PostHog's `loaded`, analytics.ready,
// rudderanalytics.ready, GrowthBook's init() resolved; the `load` event for the empty page),
// `track(name, props)` records one custom event. A PerformanceObserver registered before
// anything else collects long tasks into `__b.long`.
import { snippet } from '../tests/e2e/harness.mjs';
import { TOKENS } from './servers.mjs';

export const WRITE_KEYS = { tracking: 'bench', widgets: 'bench-widgets' };

/** The collector config: tracking at its documented defaults, page views on, no clicks. */
export function collectorConfig() {
  const tracking = {
    tracking: { flushAt: 20, flushIntervalMs: 5000, autocapture: { pageviews: true, clicks: false }, maxQueueEvents: 1000, maxQueueBytes: 500000, sessionTimeoutMinutes: 30 },
    privacy: { requireConsent: false, honorDnt: true },
  };
  const widgets = {
    ...tracking,
    score: { weights: { 'Signed Up': 30, 'Page Viewed': 1 }, halfLifeDays: 7 },
    content: {
      goal: 'Signed Up',
      slots: {
        hero: {
          rules: [{ name: 'engaged', if: { tier: 'high' }, variant: 'engaged' }],
          experiment: { key: 'hero-copy', variations: ['default', 'bold'], weights: [0.5, 0.5] },
        },
      },
    },
  };
  return { [WRITE_KEYS.tracking]: tracking, [WRITE_KEYS.widgets]: widgets };
}

const PRELUDE = `<script>
window.__b = { long: [] };
try { new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { __b.long.push([e.startTime, e.duration]); }); }).observe({ type: 'longtask', buffered: true }); } catch (e) {}
window.__bench = { lib: %LIB% };
__bench.ready = new Promise(function (r) { __b.resolve = function () { r(performance.now()); }; });
</script>`;

const BODY = (slot) => `<body>
<header><nav><a href="#">Acme Boards</a> <a href="#pricing">Pricing</a> <a href="#docs">Docs</a></nav></header>
<main>
${slot ? `<div data-engagekit-slot="hero"><h1>Ship work, not status updates.</h1><p>Boards your team actually keeps up to date.</p>
<template data-engagekit-variant="bold"><h1>Your team, in sync. Finally.</h1></template>
<template data-engagekit-variant="engaged"><h1>Welcome back.</h1></template></div>` : `<h1>Ship work, not status updates.</h1><p>Boards your team actually keeps up to date.</p>`}
<section><h2>Everything in one place</h2><p>Tasks, docs and decisions live next to each other, so nobody asks where things are.</p>
<ul><li>Kanban and list views</li><li>Comments and mentions</li><li>Integrations with your tools</li></ul>
<button id="cta" type="button">Start free trial</button></section>
</main>
<footer><p>© Acme Boards</p></footer>
</body>`;

function engagekit(o, writeKey) {
  const tag = snippet(300);
  const init = 'engagekit.init("demo");';
  const src = 'src="/engagekit.js"';
  if (!tag.includes(init) || !tag.includes(src)) throw new Error('bench: the snippet in tests/e2e/harness.mjs changed shape; update bench/pages.mjs');
  return tag
    .replace(init, `engagekit.init(${JSON.stringify(writeKey)},{host:${JSON.stringify(o.proxy)}});
engagekit.ready(function () { __bench.track = function (n, p) { engagekit.track(n, p); }; __b.resolve(); });`)
    .replace(src, 'src="/dist/engagekit.js"');
}

function posthog(o, { raised = false, token = TOKENS.posthog, noSurveys = false } = {}) {
  const config = {
    api_host: `${o.sink}/ph`,
    // Headless Chromium sets navigator.webdriver; without this PostHog drops every event as a bot's.
    opt_out_useragent_filter: true,
  };
  if (noSurveys) config.disable_surveys = true;
  if (raised) config.rate_limiting = { events_per_second: 100000, events_burst_limit: 100000 };
  return `<script>
function __phStart() {
  var config = ${JSON.stringify(config)};
  config.loaded = function (ph) { __bench.track = function (n, p) { ph.capture(n, p); }; __b.resolve(); };
  window.posthog.init(${JSON.stringify(token)}, config);
}
</script>
<script async src="/vendor/posthog.js" onload="__phStart()"></script>`;
}

function segment(o) {
  const host = new URL(o.sink).host;
  // Segment's standalone build reads its write key, options and CDN from window.analytics,
  // which holds the calls made before it loads ([method, ...args]) until it replaces it.
  return `<script>
(function () {
  var a = (window.analytics = []);
  a._writeKey = ${JSON.stringify(TOKENS.segment)};
  a._cdn = ${JSON.stringify(`${o.sink}/seg`)};
  a._loadOptions = { integrations: { 'Segment.io': { apiHost: ${JSON.stringify(`${host}/seg/v1`)}, protocol: 'http' } } };
  a.push(['page']);
  a.push(['ready', function () {
    var started = performance.now();
    (function check() {
      if (!Array.isArray(window.analytics) && window.analytics.track) {
        __bench.track = function (n, p) { window.analytics.track(n, p); };
        __b.resolve();
      } else if (performance.now() - started < 10000) setTimeout(check, 0);
    })();
  }]);
})();
</script>
<script async src="/vendor/segment.js"></script>`;
}

function rudderstack(o) {
  const options = { configUrl: `${o.sink}/rs`, destSDKBaseURL: `${o.sink}/rs/js-integrations`, pluginsSDKBaseURL: `${o.sink}/rs/plugins` };
  return `<script>
function __rsStart() {
  var ra = new window.rudderanalytics.RudderAnalytics();
  ra.load(${JSON.stringify(TOKENS.rudderstack)}, ${JSON.stringify(`${o.sink}/rs`)}, ${JSON.stringify(options)});
  ra.ready(function () { __bench.track = function (n, p) { ra.track(n, p); }; __b.resolve(); });
  ra.page();
}
</script>
<script async src="/vendor/rudderstack.js" onload="__rsStart()"></script>`;
}

function growthbook(o) {
  return `<script>
function __gbStart() {
  var gb = new window.growthbook.GrowthBook({ apiHost: ${JSON.stringify(`${o.sink}/gb`)}, clientKey: ${JSON.stringify(TOKENS.growthbook)}, attributes: { id: 'visitor-1', country: 'US', plan: 'pro' } });
  window.__gb = gb;
  gb.init({ timeout: 5000 }).then(function () { gb.isOn('new-hero'); gb.getFeatureValue('cta-copy', 'default'); __b.resolve(); });
}
</script>
<script async src="/vendor/growthbook.js" onload="__gbStart()"></script>`;
}

// The empty page's `track` does nothing: its burst measures the harness alone (the loop and
// the task switches between chunks).
const NONE = `<script>__bench.track = function () {}; addEventListener('load', function () { __b.resolve(); });</script>`;

/** name → {head(origins), slot?}. */
const PAGES = {
  none: { label: 'empty page (baseline)', head: () => NONE },
  engagekit: { label: 'engagekit', head: (o) => engagekit(o, WRITE_KEYS.tracking) },
  'engagekit-widgets': { label: 'engagekit (widgets build)', head: (o) => engagekit(o, WRITE_KEYS.widgets), slot: true },
  posthog: { label: 'posthog-js (default rate limit)', head: (o) => posthog(o) },
  'posthog-raised': { label: 'posthog-js (rate limit raised)', head: (o) => posthog(o, { raised: true }) },
  'posthog-tracking-only': { label: 'posthog-js (disable_surveys: true)', head: (o) => posthog(o, { raised: true, noSurveys: true }) },
  'posthog-surveys': { label: 'posthog-js (surveys + flags on)', head: (o) => posthog(o, { raised: true, token: TOKENS.posthogSurveys }) },
  segment: { label: '@segment/analytics-next', head: (o) => segment(o) },
  rudderstack: { label: '@rudderstack/analytics-js', head: (o) => rudderstack(o) },
  growthbook: { label: '@growthbook/growthbook (flags only)', head: (o) => growthbook(o) },
};

export const pageLabel = (name) => PAGES[name]?.label || name;

/** Which server-side traffic label a page's requests carry (sink prefix / proxy). */
export const trafficLib = (name) => (name.startsWith('engagekit') ? 'engagekit' : name.startsWith('posthog') ? 'posthog' : name);

export function renderPage(name, origins) {
  const p = PAGES[name];
  if (!p) return null;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Boards: bench page</title>
${PRELUDE.replace('%LIB%', JSON.stringify(name))}
${p.head(origins)}
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem}</style>
</head>
${BODY(p.slot)}
</html>`;
}
