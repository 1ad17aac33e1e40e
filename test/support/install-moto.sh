#!/usr/bin/env bash
# Installs moto's server (AWS API emulator) for the AWS e2e tests (test/e2e/aws). Idempotent: does nothing when
# a moto_server with the needed services is already on PATH. Needs Python >= 3.10.
set -euo pipefail
if command -v moto_server >/dev/null 2>&1 && python3 -c 'import moto.server, moto.elbv2, moto.route53' 2>/dev/null; then
  echo "moto_server already installed: $(python3 -c 'import moto; print(moto.__version__)')"
  exit 0
fi
python3 -m pip install --quiet 'moto[server]>=5.1,<6'
command -v moto_server >/dev/null || { echo "moto_server is not on PATH after pip install (add pip's bin dir to PATH)" >&2; exit 1; }
echo "installed moto $(python3 -c 'import moto; print(moto.__version__)')"
