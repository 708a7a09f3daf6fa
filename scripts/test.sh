#!/usr/bin/env bash
# Everything CI checks: host unit tests (cargo test), the generated-docs check, then the
# ABI regression suite (each program on the host Linux, then in Elfin). Ends with one line
# "N passed, N failed" over all stages; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== host unit tests (cargo test)"
cargo test --no-fail-fast --workspace --exclude elfin-kernel --exclude elfin-hal 2>&1 | tee "$log" | grep -E "^test result|FAILED|panicked|^error"
status=${PIPESTATUS[0]}
p=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
f=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "cargo test failed to build or run"; fi
passed=$((passed + p)); failed=$((failed + f))
echo "host unit tests: $p passed, $f failed"

echo "== generated docs (docs/syscalls.md, docs/syscalls.json) up to date"
target/release/elfin-compat --check-docs 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
p=$(grep -c '^PASS' "$log"); f=$(grep -c '^FAIL' "$log")
if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "the docs check did not complete"; fi
passed=$((passed + p)); failed=$((failed + f))

echo "== ABI regression suite (host Linux vs Elfin)"
target/release/elfin-compat 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
p=$(echo "$line" | awk '{print $1+0}')
f=$(echo "$line" | awk '{print $3+0}')
if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "the ABI suite did not complete"; fi
passed=$((passed + p)); failed=$((failed + f))

echo "== benchmarks still run (make bench-quick: every peer, small, no timing asserted)"
if make --no-print-directory bench-quick >"$log" 2>&1; then p=1; f=0; echo "bench-quick: ok"; else p=0; f=1; tail -40 "$log"; echo "bench-quick failed"; fi
passed=$((passed + p)); failed=$((failed + f))

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
