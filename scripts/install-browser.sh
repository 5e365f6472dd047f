#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (tests/e2e), then print its version.
#
#   bash scripts/install-browser.sh
#
# Idempotent: does nothing but print the version when /usr/bin/chromium is already there. Otherwise, as
# root, installs Debian's `chromium` and `fonts-dejavu-core` with apt-get (quiet, non-interactive).
# Playwright drives this browser through executable_path=/usr/bin/chromium: never run `playwright install`
# (its browser download needs the internet).
# Exits non-zero, saying why, when Chromium is missing and cannot be installed.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=(chromium fonts-dejavu-core)

die() {
  echo "install-browser: $*" >&2
  exit 1
}

chromium_version() {
  # The Debian wrapper script may print a harmless "[: ...: unexpected operator" on stderr; keep stdout only.
  "$CHROMIUM" --version 2>/dev/null | tail -n 1
}

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" != 0 ]; then
    die "$CHROMIUM is missing and we are not root; as root run: apt-get update && apt-get install -y ${PACKAGES[*]}"
  fi
  command -v apt-get >/dev/null 2>&1 || die "$CHROMIUM is missing and apt-get is not available (not Debian?)"
  echo "install-browser: $CHROMIUM missing; installing ${PACKAGES[*]} with apt-get"
  start=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq -o DPkg::Lock::Timeout=300 \
    || die "apt-get update failed (no access to the Debian mirror?)"
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${PACKAGES[@]}" >/dev/null \
    || die "apt-get install ${PACKAGES[*]} failed"
  echo "install-browser: installed in $(($(date +%s) - start)) s"
  [ -x "$CHROMIUM" ] || die "apt-get finished but $CHROMIUM is still missing"
fi

version="$(chromium_version)" || true
[ -n "$version" ] || die "$CHROMIUM is there but '$CHROMIUM --version' printed nothing"
echo "install-browser: $version ($CHROMIUM)"
