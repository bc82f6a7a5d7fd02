// `npm run bench` (after scripts/setup.sh --browser and scripts/build.sh): engagekit side by
// side with posthog-js, @segment/analytics-next, @rudderstack/analytics-js and
// @growthbook/growthbook, in one run, written to bench/RESULTS.md and the README's bench
// block (between <!-- bench:start --> and <!-- bench:end -->).
//
//   node bench/run.mjs            the full run (about 15 minutes on 2 cores)
//   node bench/run.mjs --quick    one round, fewer calls: a smoke run (also writes the files)
//   node bench/run.mjs --report-only   rewrite the files from target/bench/results.json
//
// Steps: native benches (cargo bench), the collector under load, the browser layer, download
// sizes (which use the files the browser was seen fetching), then the report.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM } from '../tests/e2e/harness.mjs';
import { runBrowser } from './browser.mjs';
import { runCollectorLoad } from './collector.mjs';
import { runNative } from './native.mjs';
import { renderReadmeBlock, renderResults, updateReadme } from './report.mjs';
import { sizeRows } from './sizes.mjs';
import { OUT, PACKAGES, ROOT, packageVersion } from './vendor.mjs';

const quick = process.argv.includes('--quick');
// --report-only: re-render RESULTS.md and the README block from the last run's raw data.
if (process.argv.includes('--report-only')) {
  const data = JSON.parse(readFileSync(path.join(OUT, 'results.json'), 'utf8'));
  // Sizes are measured again (the files are on disk), so a change to a size row shows.
  data.sizes = sizeRows(data.browser.files);
  writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), renderResults(data));
  updateReadme(renderReadmeBlock(data));
  process.exit(0);
}
const settings = quick
  ? { quick, rounds: 1, throttledRounds: 1, throttle: 4, deliver: 200, burst: 1000, burstCapMs: 3000, queueLevels: [0, 100, 1000], loadSeconds: 2, concurrencies: [1, 8, 32], expectedMinutes: 15 }
  : { quick, rounds: 5, throttledRounds: 3, throttle: 4, deliver: 1000, burst: 10000, burstCapMs: 4000, queueLevels: [0, 100, 1000], loadSeconds: 10, concurrencies: [1, 8, 32], expectedMinutes: 15 };

const started = Date.now();
const log = (s) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);
const sh = (cmd, args) => { try { return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; } };
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');

function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString(),
    cpu: (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [, os.cpus()[0]?.model || 'unknown'])[1].trim(),
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    loadStart: loadavg(),
    rustc: sh('rustc', ['--version']) || 'rustc: unknown',
    node: process.version,
    commit: sh('git', ['rev-parse', 'HEAD']) || 'unknown',
    dirty: Boolean(sh('git', ['status', '--porcelain'])),
    chromiumPath: CHROMIUM,
    playwright: packageVersion('playwright-core'),
    packages: PACKAGES.map((p) => [p, packageVersion(p)]),
  };
}

const info = machineInfo();
log(`${quick ? 'quick' : 'full'} run on ${info.cpu}, ${info.cores} cores, load ${info.loadStart}; engagekit ${info.commit.slice(0, 7)}${info.dirty ? ' + changes' : ''}`);

const native = await runNative({ quick, log });
const collector = await runCollectorLoad({ concurrencies: settings.concurrencies, seconds: settings.loadSeconds, log }).catch((e) => { log(`collector load failed: ${e.message}`); return null; });
log('browser layer');
const browser = await runBrowser({
  throttles: [[1, settings.rounds], [settings.throttle, settings.throttledRounds]],
  deliver: settings.deliver, burst: settings.burst, burstCapMs: settings.burstCapMs, queueLevels: settings.queueLevels, log,
});
const sizes = sizeRows(browser.files);
info.loadEnd = loadavg();
const seconds = (Date.now() - started) / 1000;
const data = { info, settings, browser, sizes, native, collector, seconds };

mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(data, null, 1));
writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), renderResults(data));
updateReadme(renderReadmeBlock(data));
log(`wrote bench/RESULTS.md and the README's bench block (raw data: ${path.relative(ROOT, OUT)}/results.json) in ${Math.round(seconds)} s`);
