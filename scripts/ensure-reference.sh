#!/usr/bin/env bash
# Runs before `npm test`: the parity tests compare against the PyTorch reference, which needs
# Debian's python3-torch. Installs it once (idempotent, quick when present) via the shared setup.
set -u
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then exit 0; fi
setup="$(dirname "$0")/../../shared/reference/setup.sh"
if [ -f "$setup" ]; then
  echo "Installing the PyTorch reference for parity tests (Debian python3-torch, one time)..." >&2
  bash "$setup" || echo "warning: $setup failed; parity tests will fail" >&2
else
  echo "warning: PyTorch (/usr/bin/python3 + torch) not found and no ../shared/reference/setup.sh; parity tests will fail. On Debian: apt-get install python3-torch libopenblas0-pthread" >&2
fi
exit 0
