#!/usr/bin/env bash
# Re-create tests/e2e/vendor/axe-core/ from npm: axe.min.js and its licences, of the exact version
# the browser tests were written against (checked against the hash recorded here).
# To move to another version, change VERSION, run this, and put the new hash in SHA256.
set -euo pipefail

VERSION=4.14.1
SHA256=29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c  # of axe.min.js

target="$(cd "$(dirname "$0")" && pwd)/axe-core"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar -xzf "axe-core-$VERSION.tgz")
echo "$SHA256  $work/package/axe.min.js" | sha256sum --check --quiet -
mkdir -p "$target"
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$work/package/LICENSE-3RD-PARTY.txt" "$target/"
echo "axe-core $VERSION -> $target"
