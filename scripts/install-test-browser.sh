#!/usr/bin/env bash
# The browser the dashboard tests drive: Debian's chromium (Playwright's own browser downloads are not used).
# Installs it with apt-get when it is missing and we are root; otherwise says why the browser tests will skip.
# Never fails the calling command: without a browser, tests/dashboard/test_browser.py skips loudly.
set -u
if command -v chromium >/dev/null 2>&1; then
  echo "install-test-browser: $(command -v chromium) present"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-test-browser: chromium is missing and this is not root: the browser tests will SKIP" >&2
  echo "install-test-browser: install it with: sudo apt-get install -y chromium" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-browser: no apt-get here: install chromium by hand, or the browser tests will SKIP" >&2
  exit 0
fi
echo "install-test-browser: installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq chromium; } >/tmp/install-test-browser.log 2>&1; then
  echo "install-test-browser: apt-get could not install chromium (see /tmp/install-test-browser.log):" \
    "the browser tests will SKIP" >&2
  tail -5 /tmp/install-test-browser.log >&2
fi
exit 0
