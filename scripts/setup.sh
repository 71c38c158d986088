#!/usr/bin/env bash
# Installs what building jotpass needs, skipping whatever is already there.
# Sourced by scripts/serve and scripts/test; safe to run again and again.
#
# Versions are pinned on purpose: cargo-leptos 0.3.11 needs rustc 1.96, and the
# wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate
# (Cargo.toml pins "=0.2.130").
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores, once)"
  cargo install cargo-leptos@"$CARGO_LEPTOS_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes, once)"
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Release builds run wasm-opt. Debian's binaryen (108) corrupts the externref
# table and the page never hydrates; the npm package is current.
if ! command -v wasm-opt >/dev/null 2>&1; then
  say "installing wasm-opt (npm binaryen $BINARYEN_VERSION)"
  npm install --global --no-fund --no-audit "binaryen@$BINARYEN_VERSION" >/dev/null
fi
