#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/browser.py), used by .ci/run and by hand:
# installs Debian's chromium package when /usr/bin/chromium is missing (run as root). The tests
# drive it with Playwright and never download a browser of their own.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "ci_chromium: installing chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
apt-get install -y chromium >&2
/usr/bin/chromium --version >&2
