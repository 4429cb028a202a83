#!/usr/bin/env bash
# Measures the window at release speed on a large seeded school: the time from pressing Unlock
# to Today's prompts painted, in the real window (WebKitGTK under Xvfb, driven by tauri-driver).
# Not part of the test command: it builds an optimised app (the `measure` profile, release
# with the `webview-automation` feature, whose switch the shipped app refuses) and a school of
# 2,000 pupils over 10 years (a few minutes, made once under the target and copied for each run).
#
#   scripts/measure-today.sh [--pupils N] [--years N] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh

pupils=2000
years=10
runs=3
while (($#)); do
  case "$1" in
    --pupils) pupils="$2"; shift 2 ;;
    --years) years="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: $0 [--pupils N] [--years N] [--runs N]" >&2; exit 2 ;;
  esac
done

(cd ui && npm run --silent build)
cargo build --quiet --release -p safeguard-core --bin sgd
cargo build --quiet --profile measure -p safeguard-desk --bin safeguard-desk --features webview-automation
sgd="$CARGO_TARGET_DIR/release/sgd"
app="$CARGO_TARGET_DIR/measure/safeguard-desk"

# The same arguments make the same school (the seed takes its day, not the clock's).
school="$CARGO_TARGET_DIR/measure-school-${pupils}x${years}"
if [ ! -e "$school.made" ]; then
  rm -rf "$school"
  echo "measure: seeding $pupils pupils over $years years (once)…"
  SGD_PASSPHRASE="benchmark passphrase" "$sgd" seed "$school" --pupils "$pupils" --years "$years" --today "$(date -u +%F)"
  # The first unlock builds the derived tables: done here, so each run measures a usual unlock.
  SGD_PASSPHRASE="benchmark passphrase" SGD_USER="Seed DSL" "$sgd" prompts "$school" >/dev/null
  touch "$school.made"
fi

export SGD_APP_BINARY="$app" SGD_CLI_BINARY="$sgd" GSETTINGS_BACKEND=memory
export SGD_E2E_ARTIFACTS="${SGD_E2E_ARTIFACTS:-$PWD/e2e-artifacts/measure}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 "$runs"); do
  rm -rf "$work/school"
  cp -a "$school" "$work/school"
  echo "measure: run $i of $runs"
  (cd ui && SGD_E2E_LARGE_STORE="$work/school" timeout 900 xvfb-run -a -s "-screen 0 1280x800x24" \
    node --test --test-reporter=spec e2e/today.test.mjs) | grep -E "painted|^# (pass|fail)"
done
