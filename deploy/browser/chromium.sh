#!/usr/bin/env bash
# Debian's Chromium and a CJK font for the console's browser tests (Playwright drives the system
# browser; it never downloads one). Installs what is missing with apt-get, as root or with sudo.
#   deploy/browser/chromium.sh
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)  # zh-CN pages, not boxes
[ ${#missing[@]} -eq 0 ] && { echo "chromium.sh: $(chromium --version 2>/dev/null | head -n 1) and a CJK font present"; exit 0; }
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "chromium.sh: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
