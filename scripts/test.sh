#!/usr/bin/env bash
# Every test layer, fastest first: native Rust (core, conformance, collector), the wasm
# module in headless Chromium, then loader + module + collector end to end. Ends with the
# shipped sizes (raw, gzip, brotli), which fail the run when an item passes its ceiling.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint: cargo fmt --check, cargo clippy -D warnings"
cargo fmt --all -- --check
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --lib -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --features std --test browser -- -D warnings
# The features of every build scripts/build.sh ships: core, content, surveys, widgets, compile.
cargo clippy --quiet --target wasm32-unknown-unknown --lib --no-default-features -- -D warnings
for features in widgets widgets,surveys widgets,surveys,checklists; do
  cargo clippy --quiet --target wasm32-unknown-unknown --lib --no-default-features --features $features -- -D warnings
done
cargo clippy --quiet --target wasm32-unknown-unknown --lib --no-default-features --features compiler -- -D warnings

echo "== native: cargo test --workspace"
cargo test --workspace --quiet

echo "== browser: wasm-bindgen-test in headless Chromium"
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} WASM_BINDGEN_TEST_TIMEOUT=60 \
  cargo test --target wasm32-unknown-unknown --features std --test browser

echo "== end to end: loader + module + collector in headless Chromium"
node --test --test-concurrency=1 tests/e2e/

echo "== sizes"
node scripts/sizes.mjs
