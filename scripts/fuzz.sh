#!/usr/bin/env bash
# `npm run fuzz`: the property-based tests of everything that reads untrusted input
# (tests/fuzz.rs, collector/tests/fuzz.rs) with a long budget, built with the `fuzz` profile
# (optimised, with overflow checks and debug assertions on, so arithmetic that would wrap
# silently in the shipped build fails here), each core property on the wasm's 1 MiB stack,
# and any condition evaluation or config read over FUZZ_SLOW_MS failing the run.
# `npm test` runs the same properties with a small fixed budget.
#   FUZZ_CASES=N  cases per property (default 300000: about 2 million inputs in all)
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_CASES=${FUZZ_CASES:-300000}
export FUZZ_SLOW_MS=${FUZZ_SLOW_MS:-10}
echo "== fuzz: $FUZZ_CASES cases per property, none slower than $FUZZ_SLOW_MS ms"
cargo test --profile fuzz -p engagekit --test fuzz -- --nocapture --test-threads=2
cargo test --profile fuzz -p engagekit-collector --test fuzz -- --test-threads=2
