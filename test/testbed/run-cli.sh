#!/usr/bin/env bash
# Bundles cli.ts with the repo's esbuild (Node can't run the .js-suffixed TS imports directly) and runs it
# with the repo's Node 22. Usage: run-cli.sh up|down
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUN="${KDEPLOY_TESTBED_RUN_DIR:-$ROOT/.testbed/run}"
# The bundle lives next to paths.ts so import.meta.url still resolves the fixtures directory.
"$ROOT/node_modules/.bin/esbuild" "$HERE/cli.ts" --bundle --platform=node --format=esm --packages=external \
  --log-level=warning --outfile="$HERE/.cli.mjs"
exec "$ROOT/node_modules/.bin/node" "$HERE/.cli.mjs" "$1" "$RUN"
