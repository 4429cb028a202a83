#!/usr/bin/env bash
# Installs what is missing, and only that: Debian/Ubuntu system packages, the UI's npm packages
# (npm ci) and tauri-driver for the E2E test. Safe to run again; quick when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev
  libjavascriptcoregtk-4.1-dev build-essential pkg-config libssl-dev xvfb webkit2gtk-driver xdotool
  imagemagick poppler-utils qpdf fonts-dejavu-core file dbus-daemon dbus-bin)

if command -v dpkg >/dev/null 2>&1; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing system packages: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian/Ubuntu system. Install the equivalents of: ${PACKAGES[*]}" >&2
  echo "       (WebKitGTK 4.1 and its WebDriver, GTK 3, libsoup 3, OpenSSL headers, Xvfb, poppler, qpdf)." >&2
fi

command -v cargo >/dev/null || { echo "setup: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup: Node.js 20.19+ with npm is required" >&2; exit 1; }
# vite 8 and vitest 4 need Node 20.19 or later (Debian 12's own nodejs is 18: use NodeSource's 20).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  { echo "setup: Node.js $(node --version) is too old: the UI tooling needs 20.19 or later" >&2; exit 1; }

# The UI's packages, exactly as locked.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: npm ci (ui)"
  (cd ui && npm ci --no-audit --no-fund >/dev/null)
fi

# tauri-driver drives the real window in the E2E test.
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: cargo install tauri-driver"
  cargo install tauri-driver --locked --version 2.1.0 >/dev/null 2>&1
fi

# cargo-fuzz drives the fuzz targets in fuzz/ (on the nightly toolchain, where the machine has one).
if cargo +nightly --version >/dev/null 2>&1 && ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "setup: cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked --version 0.13.2 >/dev/null 2>&1
fi
