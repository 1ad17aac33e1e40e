#!/usr/bin/env bash
# Stops the bed started by up.sh (by the PIDs in its state.json).
exec "$(dirname "${BASH_SOURCE[0]}")/run-cli.sh" down
