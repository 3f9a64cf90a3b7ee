#!/usr/bin/env bash
# Installs what the build, the tests and the demo need, where missing.
# Debian packages only, by names that exist on Debian 12, 13 and unstable
# alike (libclang-rt-dev, not libclang-rt-14-dev: llvm-defaults points it at
# each release's clang); nothing is downloaded from anywhere else.
#
# Usage: scripts/deps.sh [build|valkey|docker|matrix]
#
#   (none)   everything: build, unit tests, t/, fuzzing, packages, bench
#   build    only what builds the module, ticketctl and the Debian packages
#            (docker/Dockerfile's build stage)
#   valkey   valkey-server too (the matrix runs t/ against it on Debian 13)
#   docker   the container engine and compose (t/docker.t, make docker-test)
#   matrix   debootstrap (scripts/matrix.sh makes the other releases' chroots)
set -euo pipefail

build=(nginx nginx-dev libjwt-dev libhiredis-dev libjansson-dev libssl-dev
       zlib1g-dev gcc make build-essential pkg-config debhelper dpkg-dev)
pkgs=("${build[@]}"
      redis-server libcmocka-dev curl perl openssl lintian man-db groff-base
      clang libclang-rt-dev wrk valgrind logrotate prometheus dnsmasq-base)

case ${1:-} in
"") ;;
build) pkgs=("${build[@]}") ;;
valkey) pkgs+=(valkey-server) ;;
docker) pkgs=(docker.io docker-compose iptables) ;;
matrix) pkgs=(debootstrap) ;;
*) echo "usage: scripts/deps.sh [build|valkey|docker|matrix]" >&2; exit 2 ;;
esac

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
