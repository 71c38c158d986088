#!/usr/bin/env bash
# Runs the browser tests: installs Debian's Chromium if missing (Playwright
# never downloads a browser here), the test runner from npm, then Playwright,
# which starts its own jotpass servers on fresh databases.
# Expects `cargo leptos build --release --precompress --split` to have built
# target/release/jotpass and target/site (JOTPASS_BIN picks another binary).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v chromium >/dev/null 2>&1; then
  echo "[end2end] installing chromium from Debian" >&2
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
# Everything package-lock.json names (a new dependency since the last run too).
if [ ! -x node_modules/.bin/playwright ] || [ ! -d node_modules/mailparser ]; then
  npm ci --no-fund --no-audit
fi

E2E_DIR=$(mktemp -d)
export E2E_DIR
# Three ports free now, for the three servers (tests/servers.ts).
E2E_PORTS=$(../scripts/free-ports 3)
export E2E_PORTS
trap 'rm -rf "$E2E_DIR"' EXIT
npx playwright test "$@"
