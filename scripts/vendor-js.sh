#!/bin/sh
# Vendor the browser libraries the pages load (never from a CDN: the CSP allows only this site).
# Fetches each from the npm registry at an exact version, checks the file against the checksum
# recorded here, and copies it with its licence into app/static/vendor/. Run from the repository root:
#     sh scripts/vendor-js.sh
# Needs npm (only to fetch; nothing is installed). To upgrade: change the version, run it once
# with the new checksum left empty to see the file's, check the library's changelog, record it.
set -eu

CHARTJS_VERSION=4.6.1
CHARTJS_SHA256=87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2

root=$(pwd)
dest="$root/app/static/vendor/chart.js"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "chart.js@$CHARTJS_VERSION" >/dev/null   # npm checks the registry's integrity hash
tar xzf "chart.js-$CHARTJS_VERSION.tgz"
actual=$(sha256sum package/dist/chart.umd.min.js | cut -d' ' -f1)
if [ "$actual" != "$CHARTJS_SHA256" ]; then
    echo "chart.js $CHARTJS_VERSION: dist/chart.umd.min.js has sha256 $actual, expected $CHARTJS_SHA256" >&2
    exit 1
fi
mkdir -p "$dest"
# Byte for byte the registry's file. Its source map is left out: only the browser's developer
# tools ask for it (and get a 404).
cp package/dist/chart.umd.min.js "$dest/chart.umd.min.js"
cp package/LICENSE.md "$dest/LICENSE.md"
echo "chart.js $CHARTJS_VERSION -> app/static/vendor/chart.js/ (chart.umd.min.js, LICENSE.md)"
