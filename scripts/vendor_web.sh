#!/usr/bin/env bash
# Vendors the web map's JavaScript from the npm registry into app/static/vendor/, so the
# map works with no internet access (no CDN). Idempotent: does nothing when the pinned
# version is already there. The vendored files are committed; this script re-creates or
# upgrades them (change the version below, run it, commit the result).
set -euo pipefail
cd "$(dirname "$0")/.."

MAPLIBRE_VERSION="5.24.1"
DEST="app/static/vendor"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/restoration-map/npm"
STAMP="$DEST/maplibre-gl.version"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$MAPLIBRE_VERSION" \
      && -s "$DEST/maplibre-gl.js" && -s "$DEST/maplibre-gl.css" ]]; then
  echo "vendor_web: maplibre-gl $MAPLIBRE_VERSION already vendored"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "vendor_web: npm is required to vendor maplibre-gl $MAPLIBRE_VERSION into $DEST" >&2
  echo "vendor_web: install Node.js/npm (Debian: apt-get install npm) and run 'make setup' again" >&2
  exit 1
fi

mkdir -p "$CACHE" "$DEST"
# npm pack fetches the published tarball (with its prebuilt dist/) without running scripts.
tarball="$CACHE/maplibre-gl-$MAPLIBRE_VERSION.tgz"
if [[ ! -s "$tarball" ]]; then
  (cd "$CACHE" && npm pack --silent "maplibre-gl@$MAPLIBRE_VERSION" >/dev/null)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
cp "$work/package/dist/maplibre-gl.js" "$DEST/maplibre-gl.js"
cp "$work/package/dist/maplibre-gl.css" "$DEST/maplibre-gl.css"
cp "$work/package/LICENSE.txt" "$DEST/maplibre-gl.LICENSE.txt"
echo "$MAPLIBRE_VERSION" > "$STAMP"
echo "vendor_web: vendored maplibre-gl $MAPLIBRE_VERSION into $DEST"
