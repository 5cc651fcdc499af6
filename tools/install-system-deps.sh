#!/bin/sh
# Install the system packages `make install` cannot get from pip: PostGIS for the PostgreSQL
# server this machine runs (the store suites run on it too), Debian's chromium, which the
# browser tests (tests/e2e/) drive through Playwright, npm when the machine has none (the
# web COP's libraries come from package-lock.json through `npm ci`), and gdal-bin, whose
# ogrinfo/ogr2ogr are the second OGC API client and open the map exports in the tests
# (tests/api/test_ogc.py, test_export.py; docs/ogc.md).
#
# Playwright's own browser download is not used: it fetches a binary from a CDN at test time,
# while Debian's package is signed, security-patched and installed once like any system
# dependency. Idempotent: installs only what is missing. Needs root (CI and the dev machines
# run as root) or sudo.
set -eu

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium fonts-dejavu-core"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
command -v ogrinfo >/dev/null 2>&1 || missing="$missing gdal-bin"
# PostGIS for the production store's tests (docs/store.md), matching the server's major version
for pg in /usr/share/postgresql/*/; do
    major=$(basename "$pg")
    [ -f "$pg/extension/postgis.control" ] || missing="$missing postgresql-$major-postgis-3"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install-system-deps: missing Debian packages:$missing; run as root or install them" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: no apt-get; install by hand:$missing" >&2
    exit 1
fi

echo "install-system-deps: apt-get install$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086  # $missing is a list of package names
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ ! -x /usr/bin/chromium ] || /usr/lib/chromium/chromium --version
