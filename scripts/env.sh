# Sourced by the scripts: a build folder outside the clone, reused when it exists (a fresh
# machine simply starts it cold), and cargo's bin folder on PATH.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/safeguard-desk/target}"
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p "$CARGO_TARGET_DIR"
