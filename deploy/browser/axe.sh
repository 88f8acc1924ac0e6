#!/usr/bin/env bash
# axe-core from npm, for the console's browser tests (tests/e2e/axe.py injects it into every page
# and fails on any violation). The version and its checksum are pinned by package.json and
# package-lock.json beside this script; it is installed into var/browser (gitignored), never
# committed. Node and npm come from apt-get when missing, as root or with sudo.
#   deploy/browser/axe.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/../../var/browser"
wanted="$(sed -n 's/.*"axe-core": "\(.*\)".*/\1/p' "$here/package.json")"
installed="$target/node_modules/axe-core/package.json"
if [ -f "$installed" ] && grep -q "\"version\": \"$wanted\"" "$installed"; then
  echo "axe.sh: axe-core $wanted present in var/browser"
  exit 0
fi
if ! command -v npm >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "axe.sh: installing nodejs and npm"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
mkdir -p "$target"
cp "$here/package.json" "$here/package-lock.json" "$target/"
npm ci --prefix "$target" --no-audit --no-fund --ignore-scripts --loglevel=error
echo "axe.sh: axe-core $wanted installed in var/browser"
