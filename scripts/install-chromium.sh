#!/usr/bin/env bash
# Installs headless Chromium (Debian's `chromium` package) for the timeline's browser test.
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (CI runs as
# root); without root or without the package archive it says so and leaves the test to skip.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-chromium: not root, cannot apt-get install chromium; the timeline browser test will skip" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
