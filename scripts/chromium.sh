#!/usr/bin/env bash
# The headless browser of the UI test: Debian's Chromium and its matching chromedriver.
#
#   scripts/chromium.sh install   install both from Debian's packages if absent (needs root), print their paths
#
# Selenium drives them directly (no driver download at test time); CHROMIUM / CHROMEDRIVER override the paths.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

say() { echo "healthlake chromium: $*" >&2; }
die() { echo "healthlake chromium: $*" >&2; exit 1; }

install() {
  if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
    [ "$(id -u)" = 0 ] || die "Chromium is not installed. Install it (sudo apt-get install -y chromium chromium-driver) and rerun."
    command -v apt-get >/dev/null || die "Chromium is not installed and this is not a Debian system: install Chromium and chromedriver."
    say "installing Chromium and chromedriver from Debian's packages (a minute) ..."
    log=$(mktemp)
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >"$log" 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >>"$log" 2>&1; } \
      || die "apt-get install chromium chromium-driver failed; see $log"
    rm -f "$log"
  fi
  echo "$CHROMIUM"
  echo "$CHROMEDRIVER"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
