// Where each compared library's browser files are, in node_modules (its npm build) or in
// dist/ (engagekit's build), and the one preparation step: RudderStack's npm UMD builds are
// shipped unminified (a site's bundler minifies them), so they are minified here with the
// project's esbuild into target/bench/ before being served or measured.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NM = path.join(ROOT, 'node_modules');
export const DIST = path.join(ROOT, 'dist');
export const OUT = path.join(ROOT, 'target', 'bench');

/** The npm packages compared, in the order the tables use. */
export const PACKAGES = ['posthog-js', '@segment/analytics-next', '@rudderstack/analytics-js', '@growthbook/growthbook'];

export function packageVersion(name) {
  return JSON.parse(readFileSync(path.join(NM, name, 'package.json'), 'utf8')).version;
}

const RUDDER_UMD = {
  // Plugins bundled in at build time: the npm export that runs without RudderStack's CDN.
  bundled: path.join(NM, '@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js'),
  // The default export: the core alone; it fetches its plugins from RudderStack's CDN at run
  // time, and those plugin files are not in the npm package.
  core: path.join(NM, '@rudderstack/analytics-js/dist/npm/modern/umd/index.js'),
};

/** Minifies RudderStack's UMD builds into target/bench/ (skipped when up to date). */
export function prepareVendor() {
  mkdirSync(OUT, { recursive: true });
  const out = {};
  for (const [name, src] of Object.entries(RUDDER_UMD)) {
    const dest = path.join(OUT, `rudderstack.${name}.min.js`);
    if (!existsSync(dest) || statSync(dest).mtimeMs < statSync(src).mtimeMs) {
      buildSync({ entryPoints: [src], outfile: dest, minify: true, target: 'es2017', logLevel: 'warning', legalComments: 'none' });
    }
    out[name] = dest;
  }
  return out;
}

/** Main script of each library, as the bench pages load it (path on disk). */
export function mainFiles() {
  const rudder = prepareVendor();
  return {
    engagekit: path.join(DIST, 'engagekit.js'),
    posthog: path.join(NM, 'posthog-js/dist/array.js'),
    segment: path.join(NM, '@segment/analytics-next/dist/umd/standalone.js'),
    rudderstack: rudder.bundled,
    rudderstackCore: rudder.core,
    growthbook: path.join(NM, '@growthbook/growthbook/dist/bundles/index.min.js'),
  };
}

/** Directories a library lazily loads more files from, served by the sink ("its CDN"). */
export const LAZY_DIRS = {
  posthog: path.join(NM, 'posthog-js/dist'),
  segment: path.join(NM, '@segment/analytics-next/dist/umd'),
};
