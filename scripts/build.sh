#!/usr/bin/env bash
# Builds dist/: the two builds of the wasm module (cargo → wasm-bindgen → wasm-opt), their JS
# glue (minified; the widgets build bundled with its page side, www/widgets.js), the minified
# loader; and the collector binary.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist target/glue

# $1: the module's name; the rest: cargo feature flags.
#   engagekit_core     tracking only, for sites without widgets
#   engagekit_widgets  tracking, audiences and widgets (the `widgets` feature)
module() {
  local name=$1
  shift
  cargo build --release --lib --target wasm32-unknown-unknown -p engagekit "$@"
  wasm-bindgen --target web --no-typescript --out-dir target/glue --out-name "$name" \
    target/wasm32-unknown-unknown/release/engagekit.wasm
  # The npm binaryen, not Debian's 108 (its output crashes in Chromium with this wasm-bindgen).
  npx --no-install wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-debug --strip-producers \
    "target/glue/${name}_bg.wasm" -o "dist/${name}_bg.wasm"
}
module engagekit_core --no-default-features
module engagekit_widgets

esbuild() {
  npx --no-install esbuild --minify --target=es2017 --log-level=warning "$@"
}
# Each build's glue is bundled with the page code that runs it (www/host.js: actions,
# listeners, replay), and the widgets build with the widgets' page side (www/widgets.js).
esbuild www/host.js --bundle --format=esm --target=es2020 --alias:engagekit-glue=./target/glue/engagekit_core.js \
  --alias:engagekit-widgets=./www/no-widgets.js --outfile=dist/engagekit_core.js
esbuild www/host.js --bundle --format=esm --target=es2020 --alias:engagekit-glue=./target/glue/engagekit_widgets.js \
  --alias:engagekit-widgets=./www/widgets.js --outfile=dist/engagekit_widgets.js
esbuild www/loader.js --outfile=dist/engagekit.js
cp www/engagekit.d.ts dist/engagekit.d.ts 2>/dev/null || true
cargo build --release -p engagekit-collector
