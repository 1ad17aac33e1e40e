#!/usr/bin/env bash
# Starts the test bed in the background; prints exports: eval "$(test/testbed/up.sh)"
exec "$(dirname "${BASH_SOURCE[0]}")/run-cli.sh" up
