#!/usr/bin/env bash
# Fuzzes every parser of untrusted bytes for a bounded time (FUZZ_SECONDS each, default 20):
# the keyring file, the backup container, the recovery key as typed, an inbox item, and typed UK dates and
# times. Seeds are in fuzz/corpus/<target>; what a run finds goes to a temporary folder, and any
# crash fails this script (commit the crashing input to the corpus as a regression).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
SECONDS_EACH="${FUZZ_SECONDS:-20}"
if ! cargo +nightly --version >/dev/null 2>&1 || ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: SKIPPED — no nightly toolchain with cargo-fuzz on this machine (scripts/setup.sh installs cargo-fuzz where nightly exists)" >&2
  exit 0
fi
found="$(mktemp -d)"
trap 'rm -rf "$found"' EXIT
for target in keyring backup recovery_key typed_dates inbox_item; do
  mkdir -p "$found/$target"
  echo "fuzz: $target for ${SECONDS_EACH}s"
  status=0
  (cd fuzz && cargo +nightly fuzz run --release "$target" "$found/$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1) \
    >"$found/$target.log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|new_units_added)" "$found/$target.log" || true
  if [ "$status" != 0 ]; then
    tail -40 "$found/$target.log" >&2
    echo "fuzz: $target failed (exit $status); a crashing input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "fuzz: 5 targets, no failure"
