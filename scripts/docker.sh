#!/usr/bin/env bash
# A Docker engine and the Debian base images, made here: no image registry
# is needed (t/docker.t, make docker-test).
#
# Usage: scripts/docker.sh engine|base|stop
#
#   engine   installs docker.io and docker-compose (scripts/deps.sh docker)
#            and starts dockerd when no engine answers: no iptables, no
#            bridge (containers use the host's network), overlay2, else vfs
#            where overlay cannot mount.  Its pid goes to DOCKERD_PID.
#   base     the image debian:13 (DEBIAN=13) from Debian's own minbase
#            tree, where it is missing: the matrix's pristine copy
#            (MATRIX_CACHE/trixie.minbase.tar) or a new debootstrap
#   stop     stops the dockerd that `engine` started (and only that one)
#
# Root only.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MATRIX_CACHE:-/var/cache/ngx-ticket/matrix}
mirror=${MATRIX_MIRROR:-http://deb.debian.org/debian}
pidfile=${DOCKERD_PID:-/run/ngx-ticket-dockerd.pid}
log=${DOCKERD_LOG:-/var/log/ngx-ticket-dockerd.log}
debian=${DEBIAN:-13}

suite_of() {
    case $1 in
    12) echo bookworm ;;
    13) echo trixie ;;
    *) echo "docker: no suite for Debian $1" >&2; exit 2 ;;
    esac
}

engine_up() {
    local i
    for i in $(seq 1 60); do
        docker info >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

engine() {
    bash "$top/scripts/deps.sh" docker
    docker info >/dev/null 2>&1 && return 0
    local driver
    for driver in overlay2 vfs; do
        echo "docker: starting dockerd (storage driver $driver)"
        dockerd --iptables=false --ip6tables=false --bridge=none \
            --storage-driver="$driver" --pidfile="$pidfile" \
            >> "$log" 2>&1 &
        if engine_up; then
            return 0
        fi
        kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
        wait 2>/dev/null || true
    done
    echo "docker: dockerd did not start; its log ($log):" >&2
    tail -20 "$log" >&2
    return 1
}

base() {
    local suite tar tmp
    docker image inspect "debian:$debian" >/dev/null 2>&1 && return 0
    suite=$(suite_of "$debian")
    tar=$cache/$suite.minbase.tar
    if [ ! -f "$tar" ]; then
        mkdir -p "$cache"
        tmp=$(mktemp -d "$cache/$suite.docker.XXXXXX")
        echo "docker: debootstrap --variant=minbase $suite"
        debootstrap --variant=minbase "$suite" "$tmp/root" "$mirror" \
            > "$tmp/debootstrap.log" 2>&1 \
            || { tail -5 "$tmp/debootstrap.log" >&2; exit 1; }
        tar -C "$tmp/root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
        rm -rf "$tmp"
    fi
    echo "docker: docker import $tar debian:$debian"
    docker import "$tar" "debian:$debian" >/dev/null
}

stop() {
    local pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.2
    done
    rm -f "$pidfile"
}

[ "$(id -u)" -eq 0 ] || { echo "docker.sh: run as root" >&2; exit 2; }

case ${1:-} in
engine) engine ;;
base) base ;;
stop) stop ;;
*) echo "usage: scripts/docker.sh engine|base|stop" >&2; exit 2 ;;
esac
