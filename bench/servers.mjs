// The three local servers of the browser bench, all on 127.0.0.1:
//
//  site   the bench pages and each library's main script (dist/ for engagekit, node_modules
//         for the others), cross-origin isolated (COOP same-origin + COEP require-corp) so
//         performance.now() has 5 µs resolution, with CORP on every file;
//  sink   stands in for each peer vendor's cloud: it serves what the libraries fetch at run
//         time (PostHog's remote config, flags and lazily loaded extensions, Segment's
//         settings and code-split chunks, RudderStack's source config, GrowthBook's
//         features), answers 200 to everything sent to it, and counts requests, bytes and
//         events;
//  proxy  a counting pass-through in front of the real engagekit collector, so engagekit's
//         requests and bytes are counted exactly as the sink counts the peers'. Events
//         delivered to engagekit are read from the collector's SQLite file, not from here.
//
// Bytes counted for a request: request line + headers + body, as the server received them
// (HTTP/1.1), CORS preflights included and counted apart.
import http from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DIST, LAZY_DIRS, mainFiles } from './vendor.mjs';

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html; charset=utf-8', '.css': 'text/css' };

export const TOKENS = {
  posthog: 'phc_bench',
  posthogSurveys: 'phc_bench_surveys',
  segment: 'segbenchkey',
  rudderstack: 'rsbenchkey',
  growthbook: 'sdk-bench',
};

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 8 << 20) { req.destroy(); reject(new Error('body over 8 MB')); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Request line + headers + blank line, as sent on an HTTP/1.1 connection. */
function headBytes(req) {
  let n = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`.length + 2;
  for (let i = 0; i < req.rawHeaders.length; i += 2) n += req.rawHeaders[i].length + 2 + Buffer.byteLength(req.rawHeaders[i + 1]) + 2;
  return n;
}

/** The events in a request body: PostHog (JSON array, maybe gzip or base64 form), Segment and
 *  RudderStack (one event or {batch}), engagekit ({batch}). */
export function decodeEvents(buf) {
  try {
    let b = buf;
    if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
    let text = b.toString('utf8');
    if (text.startsWith('data=')) {
      const v = new URLSearchParams(text).get('data') || '';
      text = /^[\[{]/.test(v) ? v : Buffer.from(v, 'base64').toString('utf8');
    }
    const j = JSON.parse(text);
    const list = Array.isArray(j) ? j : Array.isArray(j?.batch) ? j.batch : j && (j.event || j.type) ? [j] : [];
    return list.map((e) => ({ name: e?.event ?? e?.type, i: e?.properties?.i, run: e?.properties?.run }));
  } catch {
    return [];
  }
}

function sendFile(res, file, headers, record) {
  if (!existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, headers);
    res.end('not found');
    return;
  }
  const body = readFileSync(file);
  record?.(file, body.length);
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
}

function safeJoin(dir, rel) {
  const file = path.join(dir, decodeURIComponent(rel));
  return file.startsWith(dir + path.sep) ? file : null;
}

// ---- what the sink answers for each vendor -----------------------------------------------

function posthogRemoteConfig(token) {
  const surveys = token === TOKENS.posthogSurveys;
  return {
    token,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags: surveys,
    captureDeadClicks: false,
    capturePerformance: false,
    autocapture_opt_out: false,
    autocaptureExceptions: false,
    analytics: { endpoint: '/i/v0/e/' },
    elementsChainAsString: true,
    sessionRecording: false,
    heatmaps: false,
    surveys,
    productTours: false,
    defaultIdentifiedOnly: true,
    siteApps: [],
  };
}

const POSTHOG_SURVEYS = {
  surveys: [{
    id: 'bench-nps', name: 'NPS', type: 'popover', description: '',
    questions: [{ id: 'q1', type: 'rating', question: 'How likely are you to recommend us to a friend?', display: 'number', scale: 10, lowerBoundLabel: 'Unlikely', upperBoundLabel: 'Very likely' }],
    conditions: null, appearance: null, start_date: '2024-01-01T00:00:00Z', end_date: null, current_iteration: null, current_iteration_start_date: null, schedule: 'once',
  }],
};

function posthogFlags(token) {
  const on = token === TOKENS.posthogSurveys;
  const flags = on ? { 'new-hero': { key: 'new-hero', enabled: true, variant: null, reason: { code: 'condition_match' }, metadata: { id: 1, version: 1 } }, 'cta-copy': { key: 'cta-copy', enabled: true, variant: 'team', reason: { code: 'condition_match' }, metadata: { id: 2, version: 1 } } } : {};
  return { flags, errorsWhileComputingFlags: false, requestId: 'bench', quotaLimited: [] };
}

function segmentSettings(apiHost) {
  return {
    integrations: { 'Segment.io': { apiKey: TOKENS.segment, apiHost, unbundledIntegrations: [], addBundledMetadata: true, maybeBundledConfigIds: {}, versionSettings: { version: '4.4.7', componentTypes: ['browser'] } } },
    plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    edgeFunction: {}, analyticsNextEnabled: true, middlewareSettings: {}, enabledMiddleware: {}, metrics: { sampleRate: 0 }, legacyVideoPluginsEnabled: false, remotePlugins: [],
  };
}

function rudderSourceConfig() {
  return {
    isHosted: true,
    source: { id: 'bench-source', name: 'bench', writeKey: TOKENS.rudderstack, enabled: true, workspaceId: 'bench', config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } }, destinations: [] },
    updatedAt: '2024-01-01T00:00:00.000Z',
  };
}

const GROWTHBOOK_FEATURES = {
  status: 200,
  features: {
    'new-hero': { defaultValue: false, rules: [{ condition: { country: 'US' }, force: true }] },
    'cta-copy': { defaultValue: 'default', rules: [{ key: 'cta-copy', variations: ['default', 'team'], weights: [0.5, 0.5], hashAttribute: 'id', coverage: 1 }] },
    'pricing-page': { defaultValue: 'v1', rules: [{ condition: { plan: { $in: ['pro', 'team'] } }, force: 'v2' }] },
  },
  experiments: [],
  dateUpdated: '2024-01-01T00:00:00Z',
};

// ---- servers --------------------------------------------------------------------------------

/**
 * Starts site, sink and proxy. `collectorUrl`: the real collector the proxy forwards to.
 * `page(name, origins)`: returns the HTML of bench page `name`.
 */
export async function startServers({ collectorUrl, page }) {
  const files = mainFiles();
  const traffic = []; // one record per request received by sink or proxy
  const served = []; // static files served: {lib, file, bytes, t}
  const origins = {};

  const isolate = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  const vendorMain = { posthog: files.posthog, segment: files.segment, rudderstack: files.rudderstack, growthbook: files.growthbook };

  const site = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    let m;
    if ((m = /^\/page\/([\w-]+)\.html$/.exec(p))) {
      const html = page(m[1], origins);
      if (!html) { res.writeHead(404, isolate); res.end('no such page'); return; }
      res.writeHead(200, { ...isolate, 'Content-Type': TYPES['.html'] });
      res.end(html);
    } else if ((m = /^\/dist\/([\w.-]+)$/.exec(p))) {
      sendFile(res, path.join(DIST, m[1]), isolate, (file, bytes) => served.push({ lib: 'engagekit', file, bytes, t: Date.now() }));
    } else if ((m = /^\/vendor\/(\w+)\.js$/.exec(p)) && vendorMain[m[1]]) {
      sendFile(res, vendorMain[m[1]], isolate, (file, bytes) => served.push({ lib: m[1], file, bytes, t: Date.now() }));
    } else if (p === '/favicon.ico') {
      res.writeHead(204, isolate);
      res.end();
    } else {
      res.writeHead(404, isolate);
      res.end('not found');
    }
  });

  const cors = (req) => ({
    'Access-Control-Allow-Origin': req.headers.origin || '*',
    'Access-Control-Allow-Credentials': 'true',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Timing-Allow-Origin': '*',
    'Cache-Control': 'no-store',
    Vary: 'Origin',
  });

  const LIBS = { ph: 'posthog', seg: 'segment', rs: 'rudderstack', gb: 'growthbook' };

  const sink = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const [, prefix, ...rest] = url.pathname.split('/');
    const lib = LIBS[prefix] || 'unknown';
    const sub = '/' + rest.join('/');
    const head = headBytes(req);
    const h = cors(req);
    let body;
    try { body = await readBody(req); } catch { res.writeHead(413, h); res.end(); return; }
    const rec = { server: 'sink', lib, method: req.method, path: sub, up: head + body.length, preflight: req.method === 'OPTIONS', events: [], t: Date.now(), status: 200, gzip: body[0] === 0x1f && body[1] === 0x8b };
    traffic.push(rec);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...h, 'Access-Control-Allow-Methods': 'GET, POST, PUT, OPTIONS', 'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || '*', 'Access-Control-Max-Age': '600' });
      res.end();
      return;
    }
    const json = (obj) => { const s = JSON.stringify(obj); res.writeHead(200, { ...h, 'Content-Type': 'application/json' }); res.end(s); };
    const record = (file, bytes) => served.push({ lib, file, bytes, t: Date.now() });
    let m;
    if (req.method === 'POST') rec.events = decodeEvents(body);
    if (lib === 'posthog') {
      if ((m = /^\/static\/(?:[\d.]+\/)?([\w.-]+\.js)$/.exec(sub))) return sendFile(res, safeJoin(LAZY_DIRS.posthog, m[1]), h, record);
      if ((m = /^\/array\/([\w-]+)\/config\.js$/.exec(sub))) {
        const js = `(function(){var w=window;w._POSTHOG_REMOTE_CONFIG=w._POSTHOG_REMOTE_CONFIG||{};w._POSTHOG_REMOTE_CONFIG[${JSON.stringify(m[1])}]={config:${JSON.stringify(posthogRemoteConfig(m[1]))},siteApps:[]};})();`;
        res.writeHead(200, { ...h, 'Content-Type': 'text/javascript' });
        res.end(js);
        return;
      }
      if ((m = /^\/array\/([\w-]+)\/config$/.exec(sub))) return json(posthogRemoteConfig(m[1]));
      if (/^\/flags\/?$/.test(sub) || /^\/decide\/?$/.test(sub)) return json(posthogFlags(url.searchParams.get('token') || tokenIn(body)));
      if (/^\/api\/surveys\/?$/.test(sub)) return json(POSTHOG_SURVEYS);
      return json({ status: 1 });
    }
    if (lib === 'segment') {
      if ((m = /^\/v1\/projects\/([\w-]+)\/settings$/.exec(sub))) return json(segmentSettings(`${url.host}/seg/v1`));
      if ((m = /^\/analytics-next\/bundles\/([\w.-]+\.js)$/.exec(sub))) return sendFile(res, safeJoin(LAZY_DIRS.segment, m[1]), h, record);
      return json({ success: true });
    }
    if (lib === 'rudderstack') {
      if (/^\/sourceConfig\/?$/.test(sub)) return json(rudderSourceConfig());
      res.writeHead(200, { ...h, 'Content-Type': 'text/plain' });
      res.end('OK');
      return;
    }
    if (lib === 'growthbook') {
      if (/^\/api\/features\/[\w-]+$/.test(sub)) return json(GROWTHBOOK_FEATURES);
      return json({});
    }
    json({});
  });

  // Counting pass-through to the collector (keep-alive upstream, like a browser's).
  const upstream = new URL(collectorUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const proxy = http.createServer(async (req, res) => {
    let body;
    try { body = await readBody(req); } catch { res.writeHead(413); res.end(); return; }
    const rec = { server: 'proxy', lib: 'engagekit', method: req.method, path: req.url, up: headBytes(req) + body.length, preflight: req.method === 'OPTIONS', events: req.method === 'POST' ? decodeEvents(body) : [], t: Date.now(), gzip: body[0] === 0x1f && body[1] === 0x8b };
    traffic.push(rec);
    const headers = { ...req.headers, host: upstream.host };
    const fwd = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (up) => {
      const out = { ...up.headers };
      rec.status = up.statusCode;
      if (up.statusCode >= 400) {
        const chunks = [];
        up.on('data', (c) => chunks.push(c));
        up.on('end', () => { rec.answer = Buffer.concat(chunks).toString('utf8').slice(0, 300); });
      }
      res.writeHead(up.statusCode, out);
      up.pipe(res);
    });
    fwd.on('error', () => { rec.status = 502; if (!res.headersSent) res.writeHead(502); res.end(); });
    fwd.end(body);
  });

  origins.site = await listen(site);
  origins.sink = await listen(sink);
  origins.proxy = await listen(proxy);

  return {
    origins,
    traffic,
    served,
    /** Index into traffic/served, to count what happens after it. */
    mark: () => ({ traffic: traffic.length, served: served.length }),
    async stop() {
      agent.destroy();
      await Promise.all([site, sink, proxy].map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(() => r()); })));
    },
  };
}

function tokenIn(body) {
  try {
    const j = JSON.parse(body.toString('utf8'));
    return j.token || j.api_key;
  } catch {
    return undefined;
  }
}

/** Sums traffic records for one library: requests (preflights apart), bytes up, events,
 *  gzip bodies, answers other than 2xx. */
export function tally(records, lib, { event, run } = {}) {
  const out = { requests: 0, preflights: 0, bytes: 0, events: 0, matched: new Set(), gzipped: 0, non2xx: 0 };
  for (const r of records) {
    if (r.lib !== lib) continue;
    if (r.gzip) out.gzipped++;
    if (r.status !== undefined && !(r.status >= 200 && r.status < 300)) out.non2xx++;
    if (r.preflight) out.preflights++;
    else out.requests++;
    out.bytes += r.up;
    out.events += r.events.length;
    for (const e of r.events) if ((!event || e.name === event) && (run === undefined || e.run === run) && e.i !== undefined) out.matched.add(e.i);
  }
  return out;
}
