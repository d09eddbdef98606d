# Sourced by demo.sh and test.sh (the README's two commands): makes `cargo` available on a fresh Debian
# machine — curl if missing, then rustup's minimal profile (the version is pinned by rust-toolchain.toml if
# present, else stable) — and puts it on PATH for the calling script.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] || {
    command -v curl >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq curl ca-certificates; }
    echo "installing the Rust toolchain (rustup, minimal profile)"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  }
  . "$HOME/.cargo/env"
fi
