#!/usr/bin/env bash
# Bundles cli.ts with the repo's esbuild (Node can't run the .js-suffixed TS imports directly) and runs it
# with the repo's Node 22. Usage: run-cli.sh up|down
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUN="${KDEPLOY_TESTBED_RUN_DIR:-$ROOT/.testbed/run}"
# .testbed/ is git-ignored and outside biome's file set; the define keeps paths.ts pointing at this directory.
mkdir -p "$ROOT/.testbed"
"$ROOT/node_modules/.bin/esbuild" "$HERE/cli.ts" --bundle --platform=node --format=esm --packages=external \
  --define:import.meta.dirname="\"$HERE\"" --log-level=warning --outfile="$ROOT/.testbed/cli.mjs"
exec "$ROOT/node_modules/.bin/node" "$ROOT/.testbed/cli.mjs" "$1" "$RUN"
