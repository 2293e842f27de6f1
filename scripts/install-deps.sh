#!/bin/sh
# scripts/install-deps.sh — install the Debian packages listed in
# .ci/apt-packages. Works as root (no sudo needed) and as a user with sudo.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
packages=$(grep -v '^[[:space:]]*#' .ci/apt-packages | tr -s ' \n' ' ')
# Node.js and npm run the interop tests; a machine that has them already
# (perhaps from another source than Debian) keeps its own.
command -v npm > /dev/null || packages="$packages nodejs npm"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages > /dev/null
echo "installed: $packages"
