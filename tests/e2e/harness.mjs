// Shared harness for the end-to-end tests: the real collector binary, Debian Chromium
// driven by playwright-core, and row counts read straight from the collector's SQLite file.
//
// Run: node --test --test-concurrency=1 tests/e2e/
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm, writeFile, access, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const COLLECTOR_BIN = process.env.ENGAGEKIT_COLLECTOR || path.join(ROOT, 'target', 'release', 'engagekit-collector');
export const DIST = process.env.ENGAGEKIT_DIST || path.join(ROOT, 'dist');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const WRITE_KEY = 'demo'; // the demo pages call engagekit.init("demo")
/** The admin secret every test collector starts with (ENGAGEKIT_ADMIN_SECRET). */
export const ADMIN_SECRET = 'e2e-admin-secret-0123456789abcdef';
/** The identity secret the collector verifies visitors' hashes with (a site's server holds it). */
export const IDENTITY_SECRET = 'e2e-identity-secret-0123456789abcdef';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export { sleep };

/** The README snippet for the demo writeKey (slots hidden for at most `hideMs`), then the
 *  loader's script tag. */
export function snippet(hideMs = 300) {
  return `<script>
!function(w,d,k,t){var e=w[k]=w[k]||{q:[]};"init track page identify reset consent forget flush ready score debug survey on complete".split(" ").forEach(function(m){e[m]=e[m]||function(){e.q.push([m,[].slice.call(arguments),Date.now()])}});try{var s=new CSSStyleSheet;s.replaceSync("[data-engagekit-slot]{visibility:hidden}");d.adoptedStyleSheets=d.adoptedStyleSheets.concat(s);e._hide=[s,Date.now()+t];setTimeout(function(){s.replaceSync("")},t)}catch(x){}}(window,document,"engagekit",${hideMs});
engagekit.init("${WRITE_KEY}");
</script>
<script async src="/engagekit.js"></script>`;
}

// ---- configuration ----------------------------------------------------------------

/** A fast config document for tests: small batches, short interval, no click autocapture
 *  (so every stored event is one the test caused on purpose and can name). */
export function testConfig(overrides = {}) {
  const base = {
    tracking: {
      flushAt: 5,
      flushIntervalMs: 300,
      autocapture: { pageviews: true, clicks: false },
      maxQueueEvents: 1000,
      maxQueueBytes: 500000,
      sessionTimeoutMinutes: 30,
    },
    privacy: { requireConsent: false, honorDnt: true },
  };
  return deepMerge(base, overrides);
}

function deepMerge(a, b) {
  if (!isPlainObject(a) || !isPlainObject(b)) return b === undefined ? a : b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}
function isPlainObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

// ---- temp workspace -----------------------------------------------------------------

/** A temp dir with a DB path and a config file ({writeKey: document}). */
export async function makeWorkspace(config = testConfig()) {
  const dir = await mkdtemp(path.join(tmpdir(), 'engagekit-e2e-'));
  const db = path.join(dir, 'events.db');
  const configPath = path.join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ [WRITE_KEY]: config }, null, 2));
  return {
    dir, db, configPath,
    async cleanup() { await rm(dir, { recursive: true, force: true }); },
  };
}

// ---- collector --------------------------------------------------------------------

const LISTENING = /^engagekit collector listening on (http:\/\/127\.0\.0\.1:(\d+))\s*$/;

/** Starts the real collector and resolves once it printed its listening line. */
export async function startCollector({ db, configPath, port = 0, timeoutMs = 15000 }) {
  try {
    await access(COLLECTOR_BIN);
  } catch {
    throw new Error(`collector binary not found at ${COLLECTOR_BIN}: run \`npm run build\` ` +
      '(or `cargo build --release -p engagekit-collector`) first');
  }
  for (const f of ['engagekit.js', 'engagekit_core.js', 'engagekit_core_bg.wasm', 'engagekit_content.js', 'engagekit_content_bg.wasm', 'engagekit_surveys.js', 'engagekit_surveys_bg.wasm', 'engagekit_widgets.js', 'engagekit_widgets_bg.wasm']) {
    try { await access(path.join(ROOT, 'dist', f)); } catch {
      throw new Error(`dist/${f} is missing: run \`npm run build\` first`);
    }
  }
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--db', db, '--config', configPath,
    '--www', path.join(ROOT, 'www', 'demo'), '--dist', DIST];
  const child = spawn(COLLECTOR_BIN, args, {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ENGAGEKIT_ADMIN_SECRET: ADMIN_SECRET, ENGAGEKIT_IDENTITY_SECRET: IDENTITY_SECRET },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { stderr += chunk; if (stderr.length > 200000) stderr = stderr.slice(-100000); });
  child.stdout.setEncoding('utf8');

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const describe = () => `\n  command: ${COLLECTOR_BIN} ${args.join(' ')}\n  stdout: ${stdout.trim() || '(empty)'}` +
    `\n  stderr: ${stderr.trim() || '(empty)'}`;

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`collector did not print its listening line within ${timeoutMs} ms${describe()}`));
    }, timeoutMs);
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = LISTENING.exec(line);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      }
    });
    child.once('error', (err) => { clearTimeout(timer); reject(new Error(`could not start collector: ${err.message}${describe()}`)); });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`collector exited (code ${code}, signal ${signal}) before it was ready${describe()}`));
    });
  });

  let stopped = false;
  return {
    url,
    port: Number(new URL(url).port),
    child,
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    /** SIGTERM, wait for exit (SIGKILL after a grace period). */
    async stop(graceMs = 5000) {
      if (stopped) return;
      stopped = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- browser ----------------------------------------------------------------------

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Collects console errors and page errors of a page, for assertions. */
export function watchPage(page) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error on ${safeUrl(page)}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error on ${safeUrl(page)}: ${err.message}`));
  return problems;
}
function safeUrl(page) { try { return page.url(); } catch { return '?'; } }

/** Waits until the engagekit module has loaded in the page (engagekit.ready). */
export async function waitReady(page, timeoutMs = 10000) {
  const ready = page.evaluate(() => new Promise((resolve) => window.engagekit.ready(() => resolve(true))));
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
  const result = await Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
  if (result !== true) throw new Error(`engagekit.ready() did not call back within ${timeoutMs} ms on ${page.url()}`);
}

export async function debugInfo(page) {
  return page.evaluate(() => window.engagekit.debug());
}

/** Records every /v1/batch request the context sends: which page sent it, the messageIds
 *  in its body, and how it ended (HTTP status or failure). */
export function watchBatches(context) {
  const sends = [];
  const onPage = (page) => {
    page.on('request', (request) => {
      if (!request.url().includes('/v1/batch')) return;
      const entry = { page, url: request.url(), ids: [], status: null, failed: null };
      try {
        const body = JSON.parse(request.postData() || '');
        entry.ids = (body.batch || []).map((e) => e.messageId);
      } catch {
        entry.unparsed = true;
      }
      sends.push(entry);
      request.response().then((res) => { entry.status = res ? res.status() : null; }, () => {});
    });
    page.on('requestfailed', (request) => {
      const entry = sends.find((s) => s.url === request.url() && s.failed === null && s.status === null);
      if (entry) entry.failed = request.failure()?.errorText || 'failed';
    });
  };
  context.pages().forEach(onPage);
  context.on('page', onPage);
  return sends;
}

/** messageIds accepted (2xx) in requests sent by two different pages. */
export function crossPageDuplicates(sends) {
  const byId = new Map();
  for (const s of sends) {
    if (!(s.status >= 200 && s.status < 300)) continue;
    for (const id of s.ids) {
      if (!byId.has(id)) byId.set(id, new Set());
      byId.get(id).add(s.page);
    }
  }
  return [...byId].filter(([, pages]) => pages.size > 1).map(([id]) => id);
}

// ---- database -----------------------------------------------------------------------

const PY_QUERY = `
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=10)
con.row_factory = sqlite3.Row
rows = []
for r in con.execute(sys.argv[2], json.loads(sys.argv[3])):
    d = {}
    for k in r.keys():
        v = r[k]
        d[k] = v.decode('utf-8', 'replace') if isinstance(v, (bytes, bytearray)) else v
    rows.append(d)
print(json.dumps(rows))
`;

/** Runs a read-only SQL query on the collector's database with python3's sqlite3. */
export function query(db, sql, params = []) {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', PY_QUERY, db, sql, JSON.stringify(params)], { timeout: 15000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`sqlite query failed: ${sql}\n${stderr || err.message}`));
        try { resolve(JSON.parse(stdout)); } catch (e) { reject(new Error(`bad output from python3: ${stdout}`)); }
      });
  });
}

/** All event rows of the demo writeKey, each with its `json` column parsed into `body`. */
export async function eventRows(db, writeKey = WRITE_KEY) {
  const rows = await query(db,
    'SELECT write_key, message_id, type, event, anonymous_id, user_id, timestamp, received_at, json ' +
    'FROM events WHERE write_key = ? ORDER BY timestamp, rowid', [writeKey]);
  for (const row of rows) {
    try { row.body = JSON.parse(row.json); } catch { row.body = null; }
  }
  return rows;
}

/** Path + query of a page row, from context.page (e.g. "/app.html?view=reports"). */
export function pageKey(row) {
  const page = row.body?.context?.page || {};
  if (page.url) {
    const u = new URL(page.url);
    return u.pathname + u.search;
  }
  return (page.path || '?') + (page.search || '');
}

/** A readable key per row: "page /pricing.html", "track Plan Selected n=3", "identify a@b". */
export function rowKey(row, propKeys = ['n']) {
  if (row.type === 'page') return `page ${pageKey(row)}`;
  if (row.type === 'identify') return `identify ${row.user_id}`;
  const props = row.body?.properties || {};
  const extra = propKeys.filter((k) => props[k] !== undefined).map((k) => `${k}=${props[k]}`).join(' ');
  return `${row.type} ${row.event}${extra ? ' ' + extra : ''}`;
}

/** Multiset difference report between expected keys and actual keys. */
export function diffKeys(expected, actual) {
  const count = (list) => list.reduce((m, k) => m.set(k, (m.get(k) || 0) + 1), new Map());
  const e = count(expected);
  const a = count(actual);
  const missing = [];
  const extra = [];
  for (const [k, n] of e) if ((a.get(k) || 0) < n) missing.push(`${k} (expected ${n}, stored ${a.get(k) || 0})`);
  for (const [k, n] of a) if ((e.get(k) || 0) < n) extra.push(`${k} (expected ${e.get(k) || 0}, stored ${n})`);
  return { missing, extra, ok: missing.length === 0 && extra.length === 0 };
}

/**
 * Waits until the stored rows match `expected` (a list of row keys, duplicates meaning
 * "this many times"), then waits `settleMs` more and checks again, so a late duplicate is
 * caught too. Returns the rows. Throws with a precise diff on timeout.
 */
export async function expectStoredExactly(db, expected, { timeoutMs = 20000, settleMs = 1500, propKeys } = {}) {
  const deadline = Date.now() + timeoutMs;
  let rows = [];
  let diff;
  for (;;) {
    rows = await eventRows(db);
    diff = diffKeys(expected, rows.map((r) => rowKey(r, propKeys)));
    if (diff.missing.length === 0) break;
    if (diff.extra.length > 0 || Date.now() > deadline) break;
    await sleep(200);
  }
  if (diff.missing.length === 0 && diff.extra.length === 0) {
    await sleep(settleMs);
    rows = await eventRows(db);
    diff = diffKeys(expected, rows.map((r) => rowKey(r, propKeys)));
  }
  if (!diff.ok) {
    throw new Error('stored events differ from the expected set' +
      (diff.missing.length ? `\n  missing:\n    ${diff.missing.join('\n    ')}` : '') +
      (diff.extra.length ? `\n  unexpected or duplicated:\n    ${diff.extra.join('\n    ')}` : '') +
      `\n  stored (${rows.length}):\n    ${rows.map((r) => rowKey(r, propKeys)).join('\n    ') || '(none)'}`);
  }
  // The collector keys rows on messageId; also check each row's body carries the same id.
  const ids = new Set();
  for (const row of rows) {
    if (!row.message_id) throw new Error(`row without messageId: ${rowKey(row)}`);
    if (ids.has(row.message_id)) throw new Error(`messageId stored twice: ${row.message_id}`);
    ids.add(row.message_id);
    if (row.body && row.body.messageId !== undefined && row.body.messageId !== row.message_id) {
      throw new Error(`row ${rowKey(row)}: message_id column ${row.message_id} != body.messageId ${row.body.messageId}`);
    }
  }
  return rows;
}

/** Polls `fn` until it returns a truthy value; throws `message` (+ last value) on timeout. */
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}` +
        (last !== undefined ? ` (last value: ${JSON.stringify(last)})` : ''));
    }
    await sleep(intervalMs);
  }
}

// ---- one-call setup ---------------------------------------------------------------

/**
 * Starts a collector on a fresh DB plus a browser; registers cleanup with the test's
 * `after`. Returns { ws, collector, browser, base }.
 */
export async function setup(t, { config } = {}) {
  const ws = await makeWorkspace(config);
  let collector;
  let browser;
  const env = { ws, get collector() { return collector; }, set collector(c) { collector = c; } };
  t.after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (collector) await collector.stop().catch(() => {});
    if (process.env.E2E_KEEP) console.log(`kept ${ws.dir}`); else await ws.cleanup();
  });
  collector = await startCollector({ db: ws.db, configPath: ws.configPath });
  browser = await launchBrowser();
  env.browser = browser;
  env.base = collector.url;
  return env;
}

// ---- admin and accessibility ------------------------------------------------------------

/** `fetch` of the collector's admin API with the bearer secret. */
export function adminFetch(env, path, init = {}) {
  return fetch(`${env.base}${path}`, {
    ...init, headers: { ...(init.headers || {}), authorization: `Bearer ${ADMIN_SECRET}` },
  });
}

/** Signs `page` in to the dashboard by keyboard alone, from the sign-in page, and waits for
 *  the page it was sent to. */
export async function signIn(page, next = '/dashboard/') {
  await page.goto(`/dashboard/signin.html?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Admin secret').waitFor();
  await page.keyboard.type(ADMIN_SECRET);
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname.startsWith('/dashboard') && !url.pathname.endsWith('signin.html'));
}

const AXE_SOURCE = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

/** Waits for running animations (a widget fading in) to end: axe measures colours as painted.
 *  Those in shadow roots too, which document.getAnimations() leaves out. */
export function settled(page) {
  return page.evaluate(() => {
    const roots = [document, ...[...document.querySelectorAll('*')].map((e) => e.shadowRoot).filter(Boolean)];
    return Promise.all(roots.flatMap((r) => r.getAnimations())
      .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
      .map((a) => a.finished.catch(() => {})));
  });
}

/** axe-core's violations on `page` at WCAG 2.0-2.2 A and AA, as `id: target` strings. */
export async function axeViolations(page) {
  await settled(page);
  // Evaluated through the debugger protocol, which the pages' CSP does not govern (a script
  // tag would be blocked on the dashboard, rightly).
  await page.evaluate(await readFile(AXE_SOURCE, 'utf8'));
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  }));
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${v.help})`));
}

// ---- a widget chunk on its own ------------------------------------------------------

/** The strict CSP a widget chunk's own tests serve: no 'unsafe-inline' anywhere. */
export const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'";

/**
 * A bench for one widget UI chunk (www/`entry`) without collector or wasm: the chunk minified
 * as scripts/build.sh builds it, served at `/${entry}` beside `files` ({path: [type, text]})
 * by a node:http server that sends STRICT_CSP, and a browser. `open(t, spec, options)` loads
 * `/page.html#<spec>` in a fresh context (Playwright's fake timers first with `clock`) and waits
 * for `window.__opened`; at the test's end it fails on CSP violations (`window.__violations`),
 * console errors and page errors. `close()` stops it all.
 */
export async function chunkBench(entry, files) {
  const out = await build({
    entryPoints: [path.join(ROOT, 'www', entry)], bundle: true, minify: true, target: 'es2017', format: 'esm', write: false, logLevel: 'silent',
  });
  const minified = out.outputFiles[0].text;
  const all = { ...files, [`/${entry}`]: ['text/javascript', minified] };
  const server = http.createServer((req, res) => {
    const file = all[new URL(req.url, 'http://x').pathname];
    if (!file) {
      res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'content-security-policy': STRICT_CSP, 'cache-control': 'no-store' });
    res.end(file[1]);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchBrowser();
  const open = async (t, spec, { viewport = { width: 1024, height: 768 }, colorScheme = 'light', reducedMotion = 'no-preference', clock = false, locale } = {}) => {
    const context = await browser.newContext({ viewport, colorScheme, reducedMotion, locale });
    const page = await context.newPage();
    const problems = watchPage(page);
    if (clock) await page.clock.install();
    await page.goto(`${base}/page.html#${encodeURIComponent(JSON.stringify(spec))}`);
    await page.waitForFunction(() => window.__opened === true, null, { polling: 50 });
    t.after(async () => {
      try {
        assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
        assert.deepEqual(problems, [], 'no console or page errors');
      } finally {
        await context.close().catch(() => {});
      }
    });
    return page;
  };
  const close = async () => {
    await browser.close().catch(() => {});
    await new Promise((resolve) => server.close(resolve));
  };
  return { minified, base, browser, open, close };
}
