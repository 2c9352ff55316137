#!/usr/bin/env bash
# The Python venv with the official E2B SDK that the stand-in's SDK test drives
# (tests/tests/e2b_sdk.rs). Idempotent: does nothing when the pinned version is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/e2b-venv
VERSION=2.63.0
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('e2b') != '$VERSION')" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "e2b==$VERSION"
