#!/usr/bin/env bash
# Builds dist/: the wasm module (cargo → wasm-bindgen → wasm-opt), its JS glue, the minified
# loader; and the collector binary.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tracking module every page loads: without the `content` feature (see Cargo.toml).
cargo build --release --lib --target wasm32-unknown-unknown -p engagekit --no-default-features
mkdir -p dist
wasm-bindgen --target web --no-typescript --out-dir dist --out-name engagekit_core \
  target/wasm32-unknown-unknown/release/engagekit.wasm
# The npm binaryen, not Debian's 108 (its output crashes in Chromium with this wasm-bindgen).
npx --no-install wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers \
  dist/engagekit_core_bg.wasm -o dist/engagekit_core_bg.wasm
npx --no-install esbuild www/loader.js --minify --target=es2017 --log-level=warning \
  --outfile=dist/engagekit.js
cp www/engagekit.d.ts dist/engagekit.d.ts 2>/dev/null || true
cargo build --release -p engagekit-collector
