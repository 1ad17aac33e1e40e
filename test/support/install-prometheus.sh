#!/usr/bin/env bash
# Installs Debian's prometheus for the e2e tier (test/e2e/analysis). The tests start their own server on a
# random loopback port with a temporary storage dir, so the packaged service must not start or hold :9090.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  prometheus --version 2>&1 | head -1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
# policy-rc.d exit 101 = "don't start services" during the install (containers have no init system anyway).
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap 'if [ -n "$created_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi' EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# Where an init system did start it anyway, stop it: the tests need no shared server.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl disable --now prometheus
fi
prometheus --version 2>&1 | head -1
