#!/usr/bin/env bash
# Installs everything lessonloop needs on a machine with only Node 20 and npm:
# pnpm (pinned), then the workspace's locked dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION="$(node -p 'require("./package.json").packageManager.split("@")[1]')"
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "Installing pnpm $PNPM_VERSION"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION"
fi

export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --store-dir "${PNPM_STORE_DIR:-$HOME/.local/share/pnpm/store}"
