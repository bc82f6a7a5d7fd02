#!/usr/bin/env bash
# Builds dist/: the two builds of the wasm module (cargo → wasm-bindgen → wasm-opt), their JS
# glue (minified; the widgets build bundled with its page side, www/widgets.js), the minified
# loader; and the collector binary.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist target/glue

# No build-machine path in the shipped wasm: panic locations name source files, so map the
# repo, the cargo registry and $CARGO_HOME to short neutral names (scripts/sizes.mjs fails
# the run if one slips through). Set for the wasm target only, so native builds (collector,
# tests) keep their cache. Last match wins in rustc, so the general prefix comes first.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
remap="--remap-path-prefix=$cargo_home=cargo"
for d in "$cargo_home"/registry/src/*/ "$cargo_home"/git/checkouts/*/; do
  if [ -d "$d" ]; then remap+=" --remap-path-prefix=${d%/}=crates"; fi
done
remap+=" --remap-path-prefix=$PWD=engagekit"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-} $remap"

# $1: the module's name; the rest: cargo feature flags. The collector names in each served
# config the smallest build that runs it (Config::build); the loader takes engagekit_widgets
# at once on a page with content slots, before the config arrives.
#   engagekit_core     tracking only, for sites without widgets
#   engagekit_content  + audiences and content slots (the `widgets` feature)
#   engagekit_surveys  + NPS surveys (`surveys`)
#   engagekit_widgets  + onboarding checklists (`checklists`): everything. None has
#                      `validate`: the collector checks configs.
module() {
  local name=$1
  shift
  cargo build --release --lib --target wasm32-unknown-unknown -p engagekit "$@"
  wasm-bindgen --target web --no-typescript --out-dir target/glue --out-name "$name" \
    target/wasm32-unknown-unknown/release/engagekit.wasm
  # Functions that are in the table only because the linker put them there (wasm-bindgen's
  # closure adapters, js-sys's JSPI waker, panic messages' formatting) become `unreachable`,
  # so wasm-opt drops them and what they call: ~1.6 KB gzip a build.
  # Not the compile chunk: its full checks format numbers into messages (`validate`), so
  # core::fmt is reached there other than through the table.
  if [ "$name" != engagekit_config ]; then node scripts/prune-table.mjs "target/glue/${name}_bg.wasm"; fi
  # The npm binaryen, not Debian's 108 (its output crashes in Chromium with this wasm-bindgen).
  # Beyond -Oz (size-anatomy.md §3): --low-memory-unused lets it fold constant offsets into
  # loads and stores, which holds because rustc puts the 1 MB stack first (it grows down
  # towards 0) and the allocator only hands out memory above the data; the memory is the
  # module's own, so it starts zero-filled. Not --traps-never-happen: a trap must stay a trap.
  local features="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue"
  # shellcheck disable=SC2086
  npx --no-install wasm-opt --flatten --rereloop -Oz -Oz --low-memory-unused --zero-filled-memory \
    --converge $features --strip-debug --strip-producers \
    "target/glue/${name}_bg.wasm" -o "dist/${name}_bg.wasm"
  # Then one- and two-letter import, export and module names instead of wasm-bindgen's
  # hashed ones (a separate run: the pass prints its old -> new map, once), and the glue
  # rewritten to match before esbuild sees it.
  # shellcheck disable=SC2086
  npx --no-install wasm-opt --minify-imports-and-exports-and-modules --strip-target-features \
    $features "dist/${name}_bg.wasm" -o "dist/${name}_bg.wasm" >"target/glue/${name}.names.json"
  node scripts/minify-names.mjs "dist/${name}_bg.wasm" "target/glue/${name}.names.json" \
    "target/glue/${name}.js"
}
module engagekit_core --no-default-features
module engagekit_content --no-default-features --features widgets
module engagekit_surveys --no-default-features --features widgets,surveys
module engagekit_widgets --no-default-features --features widgets,surveys,checklists
# The compile chunk: checks an inline config (passed to init) as the collector checks a
# published one and compiles it to the form both builds read (src/config/compact.rs).
# www/host.js loads it only for an inline config.
module engagekit_config --no-default-features --features compiler

esbuild() {
  npx --no-install esbuild --minify --target=es2017 --log-level=warning "$@"
}

# Each build's glue is bundled with the page code that runs it (www/host.js: actions,
# listeners, replay) and the page side of what it has: none (www/no-widgets.js) for core,
# content slots (www/widgets-content.js), + the survey prompt and scroll depth
# (www/widgets-surveys.js), everything (www/widgets.js).
esbuild www/host.js --bundle --format=esm --target=es2020 --alias:engagekit-glue=./target/glue/engagekit_core.js \
  --alias:engagekit-widgets=./www/no-widgets.js --outfile=dist/engagekit_core.js
for tier in content:widgets-content surveys:widgets-surveys widgets:widgets; do
  esbuild www/host.js --bundle --format=esm --target=es2020 --alias:engagekit-glue=./target/glue/engagekit_${tier%%:*}.js \
    --alias:engagekit-widgets=./www/${tier##*:}.js --outfile=dist/engagekit_${tier%%:*}.js
done
esbuild www/loader.js --outfile=dist/engagekit.js
esbuild target/glue/engagekit_config.js --bundle --format=esm --target=es2020 --outfile=dist/engagekit_config.js
# The NPS survey card: a chunk of its own, downloaded only when a survey is about to show.
# Each widget's chunk is bundled with www/card.js (the choice of its texts' language).
esbuild www/survey.js --bundle --format=esm --outfile=dist/engagekit_survey.js
# The onboarding checklist: likewise, downloaded only when a checklist is about to show.
esbuild www/checklist.js --bundle --format=esm --outfile=dist/engagekit_checklist.js
# The dashboard: its page code bundled with the chart library (Chart.js, from npm), beside
# its static files; the collector serves dist/dashboard at /dashboard.
mkdir -p dist/dashboard
cp www/dashboard/*.html www/dashboard/*.css www/dashboard/*.svg dist/dashboard/
esbuild www/dashboard/dashboard.js --bundle --format=esm --outfile=dist/dashboard/dashboard.js
esbuild www/dashboard/signin.js --outfile=dist/dashboard/signin.js
cp www/engagekit.d.ts dist/engagekit.d.ts 2>/dev/null || true
cargo build --release -p engagekit-collector
