#!/usr/bin/env bash
# Installs what the e2e tier's control plane needs on a fresh machine (called by .ci/run). Builds
# kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok from Go modules via build.sh,
# reusing ~/.cache/kdeploy-testbed when present. Cold build on 2 cores: see README "Testing".
# Other e2e components (Prometheus from apt, moto from pip) have their own test/support/install-*.sh.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# k8s 1.36 needs Go >= 1.26 and GOTOOLCHAIN=local forbids fetching one, so say so plainly instead of a
# confusing "go.mod requires go >= ..." deep inside the build.
command -v go >/dev/null || { echo "install.sh: Go >= 1.26 is required (not on PATH)" >&2; exit 1; }
GOV="$(go env GOVERSION)"; GOV="${GOV#go}"
if [[ "$(printf '%s\n' 1.26 "$GOV" | sort -V | head -1)" != 1.26 ]]; then
  echo "install.sh: Go >= 1.26 is required, found go$GOV" >&2
  exit 1
fi

time "$HERE/build.sh"
