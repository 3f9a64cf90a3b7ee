#!/usr/bin/env bash
# Installs what the build, the tests and the demo need, where missing.
# Debian 12 packages only; nothing is downloaded from anywhere else.
set -euo pipefail

pkgs=(nginx nginx-dev libjwt-dev libhiredis-dev libjansson-dev libssl-dev
      redis-server libcmocka-dev gcc make pkg-config curl perl
      libclang-rt-14-dev lintian debhelper dpkg-dev wrk valgrind zlib1g-dev clang logrotate)

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# The distribution starts its own nginx and redis; the project runs its own
# on other ports and never needs those.
if command -v service >/dev/null 2>&1; then
    $sudo service nginx stop >/dev/null 2>&1 || true
fi
