// Prints what a page downloads from dist/ (raw, gzip -9, brotli 11) and fails the run when an
// item grows past its ceiling or a build-machine path ships.
//
// Items: the loader every page runs first; each build of the module with its glue (a page
// loads one: engagekit_core to track, engagekit_content / _surveys / _widgets as the site's
// widgets need); the compile chunk, only for a config passed inline to init; and each
// widget UI chunk loaded only when it will show (any other .js/.wasm in dist/, a chunk's
// `x.js` and `x_bg.wasm` counted together). KB = 1024 B.
//
// Two limits per item, both gzip -9:
// - the target (issue 7), printed with how far over or under it the item is; an item that
//   meets its target has it as its ceiling (the loader, the tracking build, the chunks);
// - the ceiling, enforced: a ratchet set just above what the build achieved when it was last
//   lowered, so that no change makes the download bigger unnoticed. When a change saves
//   bytes, lower the ceiling in the same commit; raise one only with the reason in the commit.
import { readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const KB = 1024;
const TARGET = { loader: 1.0 * KB, core: 28 * KB, widgets: 42 * KB, chunk: 6 * KB };
// Measured 2026-12-01 (rustc 1.95.0, wasm-bindgen 0.2.130, binaryen 132, esbuild 0.28.2):
// loader 1,018 B, core 28,128 B (both under target: their ceilings are their targets),
// content 42,571 B, surveys 48,169 B, widgets 56,004 B, the compile chunk 32,803 B; the
// other ceilings leave ~100 B for toolchain noise. Lowered from 42,830 / 48,430 / 56,170 /
// 32,950 B when bucketing hashed one char at a time instead of through encode_utf16 beside an
// ASCII loop, and operators were found in one table (-0.15 KB). Lowered from 31,925 / 45,080 / 50,490 /
// 58,835 B when the next page replayed kept early calls through the module's exports instead
// of a reader in the wasm (-1.6 / -1.9 KB), text was split at ASCII bytes rather than by
// std's char searcher (-0.8 KB core), and the tracking build stopped keeping audience state
// nothing in it reads (score, event counts, first seen: -1.0 KB core). Raised from 31,700 / 44,850 / 50,290 / 58,610 / 32,750 B when
// wasm-bindgen's own string passing came back (+0.2 KB a build): encoding each string whole
// made track() at 1,000 queued events ~10x slower in a run of calls (scripts/minify-names.mjs).
// Lowered from 32,230 / 45,420 / 50,850 / 59,130 B when
// scripts/prune-table.mjs zeroed the texts only panic messages hold and core::fmt's digit
// pairs, which nothing reads (-0.45 KB a build), and removed the exports the glue never
// calls (wasm-bindgen's free and abort handler: -0.07 KB). Lowered from 33,000 / 46,656 / 51,887 /
// 59,952 / 33,300 B when the
// glue started the wasm in 15 lines instead of wasm-bindgen's 80 (-0.4 KB a build), passed
// strings in without its ASCII loop and encodeInto polyfill (-0.2 KB), and gave the page
// code the wasm's exports as one object instead of a wrapper and a namespace getter each
// (-0.2 KB; the compile chunk, with one export, +50 B); and when the content and surveys
// builds bundled only the page side they run (-0.5 / -0.25 KB). Lowered from
// 34,930 / 66,355 B when the module stopped reading config documents and read the compiled
// form the collector serves instead (src/config/compact.rs: -1.9 / -6.3 KB); the compile
// chunk, which an inline config loads, is new (the checks both builds carried before, plus
// the collector's full messages). The content and surveys builds are new: the served config
// names the smallest build that runs the site (Config::build); the compile chunk grew 65 B
// with that choice. Lowered from 34,965 / 66,380 B when the page's
// title came from the page snippet too (-36 / -24 B). Lowered from 35,035 / 66,450 B when the glue
// shipped without initSync (-0.07 / -0.07 KB). Lowered from 35,250 / 66,650 B when the
// timestamp's clamping and the storage's key list moved into the page snippet (-0.2 / -0.2
// KB; a Vec<String> return instead of an array cost +0.6 KB of wasm-bindgen conversion).
// Lowered from 36,130 / 67,170 B when a click's
// properties were made by the host code (www/click.js) and recorded through track()
// (-0.9 / -0.5 KB). Lowered from 37,730 / 68,800 B when
// scripts/prune-table.mjs emptied the functions only the linker's table kept (closure
// adapters, the JSPI waker, panic messages' formatting: -1.6 / -1.6 KB). Lowered from 40,210 / 70,970 B when the page's
// facts, its query's pairs (URLSearchParams), localStorage, random bytes and the privacy
// signal came from one JS snippet instead of web-sys calls and Rust URL decoding
// (-2.5 / -2.2 KB). Lowered from 40,500 / 71,340 B when stored
// maps were read and written without whole-map copies, forget() went through reset() and
// a few more readers lost their iterator chains (-0.3 / -0.4 KB). Lowered from 40,580 / 73,880 B when single-use
// iterator chains in surveys, checklists, content and bucketing became loops and checklist
// matching borrowed the saved groups instead of copying them (-0.1 / -2.5 KB). Lowered from 40,840 / 74,820 B when the config
// readers stopped building "got <kind>" texts the browser's build never needs, built nested
// paths once, filled rules, steps and experiments in place and reported problems through
// one function (-0.3 / -0.9 KB). Lowered from 42,910 / 77,130 B when the
// delivery queue became a Vec with swept slots instead of a VecDeque (-0.9 KB), timestamps
// came from Date.prototype.toISOString, and single-use iterator chains in the queue, storage
// keys and query parsing became loops (-1.2 KB together). Lowered from 78,170 B (widgets) when the cards'
// choice of locale and their steps' texts moved from the wasm to the chunks that render them
// (www/card.js: -1.0 KB; each chunk +0.4 KB). Raised from 77,895 B (widgets) for the replay
// of a complete() kept from a page whose module never ran, and the update of the cards on
// screen after it (+0.2 KB: the call was lost before).
// Raised from 42,800 / 77,800 B for the time
// zone read through Temporal.Now.timeZoneId() before Intl.DateTimeFormat (+0.1 KB: one
// import), which takes ~20 ms of main thread (~90 ms at 4x CPU) off every page's start.
// Lowered from 43,030 / 78,140 B when one
// decimal reader replaced str::parse per integer type and URL decoding, bucketing's decimal
// and the user-agent scan lost their bounds-check panics (-0.2 / -0.3 KB). Lowered from
// 43,670 / 80,580 B when a config
// problem passed up as one boxed pointer instead of two Strings copied at every `?` (-0.4 /
// -1.9 KB) and the exports' bodies went to with_dyn as a one-method trait object instead of
// `dyn FnMut`, whose vtables each carried an unused call_once shim (-0.3 / -0.4 KB).
// Raised from 43,450 / 79,200 B for hostile input
// (issue 11): data from the page, storage or a response nested deeper than 128 levels is
// refused (+0.1 KB), and in widgets a condition nested deeper than 64 never matches, a
// pattern that can backtrack without end or names a group not yet opened is refused, and
// `$regex` reads at most 1,000 characters (+1.2 KB); complete() in the host code (issue 10,
// +40 B). Raised from 43,350 / 77,690 B for progress on
// every device (issue 10: identify()'s userHash, the merge of the collector's answer, the
// fetch in the page side, progress kept from before consent: widgets +1.4 KB). Raised from 43,220 / 67,320 B when onboarding
// checklists joined the widgets build (issue 10: their config, progress derived from events
// and pages, what shows and when, their events and the page side: +10.0 KB; core +30 B for
// checklist() in the host code). Lowered from 43,430 / 68,910 B when the checks
// that only explain (unknown keys, condition structure) left the wasm for the collector
// (the `validate` feature: -0.3 / -1.6 KB). Raised from 42,860 / 58,830 B when NPS surveys
// joined the widgets build (issue 9: their config, eligibility, the shared prompt history,
// the card's events and the page side that loads the card: +10.0 KB, of which the survey
// config reader is ~2 KB after the texts' full check moved to the collector) and both builds
// gained on() listeners and survey() (+0.5 KB: the echo of recorded events, the host code). Lowered from 44,870 / 60,740 B when the wasm
// became no_std (std's panic machinery and core::fmt out: -2.0 KB a build). History: raised
// from 37,550 / 53,750 B when the tracker gained write-behind chunked storage, the replay of
// early calls and stamped calls, and the host code moved from the loader into each build's
// glue (+1.1 KB glue, the loader -0.5 KB). A chunk has no build yet: its ceiling is its target.
const CEILING = { loader: TARGET.loader, core: TARGET.core, content: 42670, surveys: 48270, widgets: 56100, compile: 32900, chunk: TARGET.chunk };

const size = (f) => {
  const b = readFileSync(f);
  return {
    raw: b.length,
    gz: gzipSync(b, { level: 9 }).length,
    br: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
const add = (a, b) => ({ raw: a.raw + b.raw, gz: a.gz + b.gz, br: a.br + b.br });
const kb = (n) => (n / KB).toFixed(2) + ' KB';

const items = [
  { name: 'loader', kind: 'loader', files: ['dist/engagekit.js'] },
  { name: 'core: glue + wasm', kind: 'core', files: ['dist/engagekit_core.js', 'dist/engagekit_core_bg.wasm'] },
  // The smaller builds the collector names for a site without checklists (or surveys):
  // no target of their own; the widgets budget is for everything.
  { name: 'content: glue + wasm', kind: 'content', files: ['dist/engagekit_content.js', 'dist/engagekit_content_bg.wasm'] },
  { name: 'surveys: glue + wasm', kind: 'surveys', files: ['dist/engagekit_surveys.js', 'dist/engagekit_surveys_bg.wasm'] },
  { name: 'widgets: glue + wasm', kind: 'widgets', files: ['dist/engagekit_widgets.js', 'dist/engagekit_widgets_bg.wasm'] },
  // Only for an inline config (www/host.js): no target of its own.
  { name: 'compile chunk', kind: 'compile', files: ['dist/engagekit_config.js', 'dist/engagekit_config_bg.wasm'] },
];
const known = new Set(items.flatMap((i) => i.files));
const chunks = new Map();
for (const f of readdirSync('dist').sort()) {
  const path = `dist/${f}`;
  if (!/\.(js|wasm)$/.test(f) || known.has(path)) continue;
  const stem = f.replace(/(_bg)?\.(js|wasm)$/, '');
  chunks.set(stem, [...(chunks.get(stem) || []), path]);
}
for (const [stem, files] of chunks) items.push({ name: `chunk ${stem}`, kind: 'chunk', files });

const row = (cells, widths) => '  ' + cells.map((c, i) => (i ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');

console.log('sizes of dist/ (KB = 1024 B):');
const fileWidths = [34, 10, 10, 10];
console.log(row(['file', 'raw', 'gzip -9', 'brotli'], fileWidths));
for (const item of items) {
  item.size = { raw: 0, gz: 0, br: 0 };
  for (const f of item.files) {
    const s = size(f);
    item.size = add(item.size, s);
    console.log(row([f, kb(s.raw), kb(s.gz), kb(s.br)], fileWidths));
  }
}

let failures = 0;
console.log('');
const itemWidths = [28, 10, 10, 10, 10, 16, 0];
console.log('ceilings (gzip -9) fail the run; targets (issue 7, gzip -9): an item under its target has it as its ceiling:');
console.log(row(['item', 'gzip -9', 'brotli', 'ceiling', 'target', 'vs target', 'status'], itemWidths));
for (const { name, kind, size: s } of items) {
  const over = s.gz - TARGET[kind];
  const vsTarget = !TARGET[kind] ? '-' : over > 0 ? `${kb(over)} over` : `${kb(-over)} under`;
  const ok = s.gz <= CEILING[kind];
  if (!ok) failures++;
  const status = ok ? `ok, ${CEILING[kind] - s.gz} B to spare` : `OVER CEILING by ${s.gz - CEILING[kind]} B`;
  const target = TARGET[kind] ? kb(TARGET[kind]) : '-';
  console.log(row([name, kb(s.gz), kb(s.br), kb(CEILING[kind]), target, vsTarget, status], itemWidths));
}

// No build-machine path may ship (scripts/build.sh remaps them): the repo, $HOME,
// $CARGO_HOME and the cargo registry say who built it where, and cost bytes.
const dirs = [process.cwd(), dirname(process.cwd()), homedir(), process.env.CARGO_HOME];
const machinePaths = [...new Set(dirs.filter((d) => d && d !== '/').map((d) => d.replace(/\/?$/, '/')))];
machinePaths.push('/registry/src/');
for (const f of items.flatMap((i) => i.files)) {
  const text = readFileSync(f).toString('latin1');
  for (const p of machinePaths) {
    if (text.includes(p)) {
      failures++;
      console.log(`  ${f} contains the build-machine path ${p}`);
    }
  }
}
process.exit(failures ? 1 : 0);
