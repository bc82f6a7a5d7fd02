// Download size: the bytes of code a page fetches to get (a) tracking and (b) tracking +
// surveys + flags/personalisation, gzip -9 and brotli (quality 11), both with node:zlib.
// Lazily loaded files count when the browser run saw them fetched (`observed`: page name →
// files served for that page in the first unthrottled round); the static lists below are
// what each page loads first. Config and settings responses (JSON) are not counted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { DIST, ROOT, mainFiles } from './vendor.mjs';

const measure = (file) => {
  const raw = readFileSync(file);
  return {
    file: path.relative(ROOT, file),
    raw: raw.length,
    gzip: gzipSync(raw, { level: 9 }).length,
    brotli: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }).length,
  };
};

/** Rows of the size table. Each: {id, lib, what, files[], note, na?}. */
export function sizeRows(observed = {}) {
  const m = mainFiles();
  const dist = (f) => path.join(DIST, f);
  const seen = (page, fallback) => (observed[page]?.length ? observed[page] : fallback);
  const rows = [
    // (a) tracking
    { set: 'a', id: 'engagekit', lib: 'engagekit', what: 'loader + tracking build (engagekit_core glue + wasm)',
      files: [dist('engagekit.js'), dist('engagekit_core.js'), dist('engagekit_core_bg.wasm')], check: observed.engagekit },
    { set: 'a', id: 'posthog', lib: 'posthog-js', what: 'array.js + surveys.js (fetched by default even with no surveys)', files: seen('posthog', [m.posthog]) },
    { set: 'a', id: 'posthog-min', lib: 'posthog-js', what: 'array.js alone (`disable_surveys: true`)', files: seen('posthog-tracking-only', [m.posthog]) },
    { set: 'a', id: 'segment', lib: '@segment/analytics-next', what: 'standalone.js (+ chunks fetched: none for these settings)', files: seen('segment', [m.segment]) },
    { set: 'a', id: 'rudderstack', lib: '@rudderstack/analytics-js', what: '`bundled` export (plugins inside), minified with esbuild', files: seen('rudderstack', [m.rudderstack]) },
    { set: 'a', id: 'rudderstack-core', lib: '@rudderstack/analytics-js', what: 'default export alone, minified: lower bound (its plugins come from RudderStack\'s CDN and are not in the npm package)', files: [m.rudderstackCore] },
    { set: 'a', id: 'growthbook', lib: '@growthbook/growthbook', what: 'no tracking', files: [], na: true },
    // (b) tracking + surveys + flags / personalisation
    // The survey card counts, as posthog-js's surveys.js does; it loads only when a survey
    // shows, so the page run (a content slot, no survey) is checked without it.
    { set: 'b', id: 'engagekit', lib: 'engagekit', what: 'loader + widgets build (glue + wasm: tracking, audiences, content slots, survey and checklist decisions) + the survey card (`engagekit_survey.js`, loaded when a survey shows)',
      files: [dist('engagekit.js'), dist('engagekit_widgets.js'), dist('engagekit_widgets_bg.wasm'), dist('engagekit_survey.js')],
      onShow: [dist('engagekit_survey.js')], check: observed['engagekit-widgets'] },
    { set: 'b', id: 'posthog', lib: 'posthog-js', what: 'array.js (tracking, flags) + surveys.js (survey UI), seen fetched with surveys and flags on', files: seen('posthog-surveys', [m.posthog]) },
    { set: 'b', id: 'segment+growthbook', lib: '@segment/analytics-next + @growthbook/growthbook', what: 'standalone.js + GrowthBook for flags; no surveys in either', files: [...seen('segment', [m.segment]), m.growthbook] },
    { set: 'b', id: 'rudderstack+growthbook', lib: '@rudderstack/analytics-js + @growthbook/growthbook', what: '`bundled` export + GrowthBook for flags; no surveys in either', files: [...seen('rudderstack', [m.rudderstack]), m.growthbook] },
    { set: 'b', id: 'growthbook', lib: '@growthbook/growthbook', what: 'dist/bundles/index.min.js: flags and experiments only, no tracking or surveys', files: [m.growthbook] },
  ];
  for (const r of rows) {
    r.parts = r.files.map(measure);
    r.raw = r.parts.reduce((a, p) => a + p.raw, 0);
    r.gzip = r.parts.reduce((a, p) => a + p.gzip, 0);
    r.brotli = r.parts.reduce((a, p) => a + p.brotli, 0);
    if (r.check) {
      const want = new Set(r.files.filter((f) => !(r.onShow || []).includes(f)).map((f) => path.resolve(f)));
      const got = new Set(r.check.map((f) => path.resolve(f)));
      r.checked = want.size === got.size && [...want].every((f) => got.has(f));
    }
  }
  return rows;
}
