#!/usr/bin/env bash
# Installs what is missing, builds, makes the fictional demo school (once) and opens the window
# on it. `scripts/run.sh --store DIR` opens another store folder instead (or an empty folder to
# set up a new school).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh

STORE=""
if [ "${1:-}" = "--store" ]; then STORE="${2:?--store needs a folder}"; fi

(cd ui && npm run --silent build >/dev/null)
cargo build --quiet -p safeguard-core --bin sgd -p safeguard-desk

DATA="${XDG_DATA_HOME:-$HOME/.local/share}/safeguard-desk"
DEMO="$DATA/demo"
if [ -z "$STORE" ]; then
  STORE="$DEMO"
  if [ ! -e "$DEMO/keyring.json" ]; then
    mkdir -p "$DATA" && chmod 700 "$DATA"
    # A passphrase for the fictional demo only, made on this machine (none is committed).
    umask 077
    head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^/demo-/' > "$DATA/demo-passphrase.txt"
    SGD_PASSPHRASE="$(cat "$DATA/demo-passphrase.txt")" "$CARGO_TARGET_DIR/debug/sgd" demo "$DEMO" >/dev/null
  fi
  echo
  echo "Demo school (fictional): $DEMO"
  echo "Users: Rachel Adeyemi (DSL), Tom Whitfield (deputy), Priya Shah (head), Daniel Okoro (staff)"
  echo "Demo passphrase for all of them: $(cat "$DATA/demo-passphrase.txt")"
  echo
fi
SGD_STORE="$STORE" exec "$CARGO_TARGET_DIR/debug/safeguard-desk"
