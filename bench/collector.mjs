// The collector under load: the release binary (started as tests/e2e/harness.mjs starts it,
// on 127.0.0.1, with a fresh SQLite file), POST /v1/batch from autocannon at a few
// concurrencies, each request a batch of 20 browser-shaped events with unique messageIds
// (so nothing is deduplicated away), each step bounded in time. After each step the rows in
// SQLite are counted, so "events/s" is events stored, not just answered.
// The load generator runs in this Node process on the same 2 cores as the collector: the
// figures are what one machine does with both on it.
import autocannon from 'autocannon';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCollector, query } from '../tests/e2e/harness.mjs';
import { quantile } from './stats.mjs';

export const BATCH = 20;

/** One event as the browser module sends it (Segment spec, with context). */
export function benchEvent(id, n) {
  return {
    type: 'track',
    event: 'Plan Selected',
    properties: { plan: 'pro', seats: 5, source: 'pricing', n },
    anonymousId: `anon-${n % 5000}`,
    messageId: id,
    timestamp: new Date(1735689600000 + n).toISOString(),
    context: {
      library: { name: 'engagekit', version: '0.1.0' },
      page: { url: 'https://www.example.com/pricing?utm_source=newsletter', path: '/pricing', title: 'Pricing: Acme Boards', referrer: 'https://www.example.com/', search: '?utm_source=newsletter' },
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      locale: 'en-US', timezone: 'Europe/Paris', screen: { width: 1920, height: 1080 },
      campaign: { source: 'newsletter' }, sessionId: 1735689600000,
    },
  };
}

/** Runs autocannon; also collects every 2xx response time (ms, fractional), since its own
 *  histogram keeps whole milliseconds. */
function run(opts) {
  return new Promise((resolve, reject) => {
    const times = [];
    const inst = autocannon(opts, (err, res) => (err ? reject(err) : resolve({ ...res, times })));
    inst.on('response', (client, status, bytes, ms) => { if (status >= 200 && status < 300) times.push(ms); });
    inst.on('error', () => {});
  });
}

/** `concurrencies`: connections per step; `seconds`: duration of each step. */
export async function runCollectorLoad({ concurrencies, seconds, log = () => {} }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'engagekit-load-'));
  const db = path.join(dir, 'load.db');
  const configPath = path.join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ bench: { tracking: { flushAt: 20 } } }));
  const collector = await startCollector({ db, configPath });
  const url = `${collector.url}/v1/batch`;
  let seq = 0;
  const body = (prefix) => {
    const batch = [];
    for (let k = 0; k < BATCH; k++) { const n = seq++; batch.push(benchEvent(`${prefix}-${n}`, n)); }
    return JSON.stringify({ batch, writeKey: 'bench', sentAt: new Date().toISOString() });
  };
  const step = (connections, duration, prefix) => run({
    url, method: 'POST', connections, duration, timeout: 30,
    headers: { 'content-type': 'text/plain' },
    requests: [{ setupRequest: (req) => ({ ...req, body: body(prefix) }) }],
  });
  const stored = async () => (await query(db, 'SELECT COUNT(*) AS n FROM events'))[0].n;
  const steps = [];
  try {
    await step(4, Math.min(2, seconds), 'warm'); // warm-up, not recorded
    for (const c of concurrencies) {
      const before = await stored();
      const r = await step(c, seconds, `c${c}`);
      const rows = (await stored()) - before;
      const ok = r['2xx'];
      const s = {
        connections: c, seconds: r.duration, requests: r.requests.total, ok, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
        requestsPerSec: ok / r.duration, eventsPerSec: rows / r.duration, rowsStored: rows, eventsSent: ok * BATCH,
        p50: quantile(r.times, 0.5), p90: quantile(r.times, 0.9), p99: quantile(r.times, 0.99), max: Math.max(...r.times), bodyBytes: Buffer.byteLength(body('size')),
      };
      steps.push(s);
      log(`collector c=${c}: ${Math.round(s.eventsPerSec)} events/s stored, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, ${s.non2xx} non-2xx, ${s.errors} errors`);
    }
  } finally {
    await collector.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return { batch: BATCH, steps };
}
