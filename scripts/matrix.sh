#!/usr/bin/env bash
# The platform matrix (make test-matrix): the module, ticketctl, the unit
# tests, t/ and the Debian packages on every Debian release a user runs.
#
#   bookworm   Debian 12, this machine         nginx 1.22, OpenSSL 3.0
#   trixie     Debian 13, a debootstrap chroot nginx 1.26, OpenSSL 3.5;
#              t/'s Redis files once more against valkey-server
#   sid        unstable, a debootstrap chroot  nginx 1.30, OpenSSL 3.6
#
# Usage: scripts/matrix.sh [PLATFORM...]        (default: all three)
#
# Each chroot is made once by `debootstrap --variant=minbase SUITE` under
# MATRIX_CACHE (default /var/cache/ngx-ticket/matrix/SUITE) and reused; the
# work tree (without build directories) is copied into it, scripts/deps.sh
# installs that release's packages, then the same make targets run there.
# Root only (debootstrap, chroot, mounts; every mount is undone on exit).
#
# Environment:
#   MATRIX_CACHE   where the chroots live
#   MATRIX_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   MATRIX_SAN=1   also the ASan/UBSan build and t/ in every chroot
#   MATRIX_HOST=0  no bookworm line (.ci/run: make test just ran it here)
#
# The output ends with one line per platform: versions, passed/failed and
# the test counts.  Exit 1 when our build or tests fail anywhere; unstable's
# archive being uninstallable that day (apt fails before our build starts)
# is said on its line and does not fail the matrix.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${MATRIX_CACHE:-/var/cache/ngx-ticket/matrix}
mirror=${MATRIX_MIRROR:-http://deb.debian.org/debian}
san=${MATRIX_SAN:-0}
logdir=$top/build/matrix

[ "$(id -u)" -eq 0 ] || { echo "matrix: run as root" >&2; exit 2; }

platforms=("$@")
if [ ${#platforms[@]} -eq 0 ]; then
    platforms=(trixie sid)
    [ "${MATRIX_HOST:-1}" = 0 ] || platforms=(bookworm "${platforms[@]}")
fi

mkdir -p "$logdir" "$cache"
# a fresh machine has no debootstrap: the chroots need it
bash "$top/scripts/deps.sh" matrix || { echo "matrix: cannot install debootstrap" >&2; exit 1; }
summary=()
failed=0

# every mount under a chroot, deepest first
umount_under() {
    local under=$1 m
    awk '{ print $2 }' /proc/mounts | grep "^$under/" | sort -r \
        | while read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
}
# only this run's chroots: another run may be using its own
umount_ours() {
    local p
    for p in "${platforms[@]}"; do
        [ "$p" = bookworm ] || umount_under "$cache/$p"
    done
}
trap umount_ours EXIT
trap 'umount_ours; exit 130' INT TERM

mount_chroot() {
    local root=$1 m
    umount_under "$root"
    for m in proc sys dev dev/pts dev/shm; do
        mkdir -p "$root/$m"
    done
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --bind /dev "$root/dev"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
    mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
}

# run a command in the chroot, as CI would: root, a clean environment
in_chroot() {
    local root=$1; shift
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive CI="${CI:-}" "$@"
}

make_chroot() {
    local suite=$1 root=$2
    [ -x "$root/usr/bin/apt-get" ] && return 0
    echo "matrix: debootstrap --variant=minbase $suite $root"
    rm -rf "$root.tmp"
    debootstrap --variant=minbase "$suite" "$root.tmp" "$mirror" \
        > "$logdir/$suite-debootstrap.log" 2>&1 || {
        tail -5 "$logdir/$suite-debootstrap.log"
        return 1
    }
    # a pristine copy: scripts/docker.sh makes the base image of it
    tar -C "$root.tmp" -cf "$cache/$suite.minbase.tar.tmp" . \
        && mv "$cache/$suite.minbase.tar.tmp" "$cache/$suite.minbase.tar"
    mv "$root.tmp" "$root"
}

prepare_chroot() {
    local suite=$1 root=$2
    # services are the tests' own business: none start on install
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    echo "deb $mirror $suite main" > "$root/etc/apt/sources.list"
    # unstable's Release file on the mirror may have expired
    if [ "$suite" = sid ]; then
        echo 'Acquire::Check-Valid-Until "false";' \
            > "$root/etc/apt/apt.conf.d/99ngx-ticket-matrix"
    fi
    rm -rf "$root/root/ngx-ticket"
    mkdir -p "$root/root/ngx-ticket"
    tar -C "$top" -c --exclude=./build --exclude=./build-san \
        --exclude=./build-fuzz --exclude=./.git --exclude=./run . \
        | tar -C "$root/root/ngx-ticket" -x
}

# "Files=N, Tests=M" and the Result line of prove's log: "M ok" or
# "M, K failed"
prove_counts() {
    local log=$1 tests result
    tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
    result=$(sed -n 's/^Result: //p' "$log" | tail -1)
    echo "${tests:-0} ${result:-NONE}"
}

# the versions this platform builds and tests against
versions_sh='
    n=$(nginx -v 2>&1 | sed "s|.*nginx/||")
    o=$(openssl version | cut -d" " -f2)
    h=$(dpkg-query -W -f="\${Version}" libhiredis-dev | sed "s/-.*//")
    r=$(redis-server --version | sed "s/.* v=\([^ ]*\).*/\1/")
    v=""
    command -v valkey-server >/dev/null && v=", Valkey $(valkey-server \
        --version | sed "s/.* v=\([^ ]*\).*/\1/")"
    echo "nginx $n, OpenSSL $o, hiredis $h, Redis $r$v"'

# one step of a platform: run it, log it, keep the counts
step() {
    local name=$1; shift
    local log="$logdir/$plat-$name.log"
    echo "matrix: $plat: $name"
    if "$@" > "$log" 2>&1; then
        return 0
    fi
    echo "matrix: $plat: $name FAILED (build/matrix/$plat-$name.log):"
    tail -30 "$log" | sed 's/^/    /'
    return 1
}

# how to run a shell command on PLATFORM, and where the tree is there
runner() {
    case $1 in
    bookworm) run=(bash -c); where=$top ;;
    *) run=(in_chroot "$cache/$1" bash -c); where=/root/ngx-ticket ;;
    esac
}

# The chroot and the release's packages: network and disk bound, so every
# platform prepares at once.  $logdir/PLATFORM.prep says how it went:
# "ok", "debootstrap" or "apt" (apt failed before our build started: the
# release's archive, not us).
prepare_platform() {
    local plat=$1 run where deps=""
    local prep=$logdir/$plat.prep
    runner "$plat"
    if [ "$plat" != bookworm ]; then
        make_chroot "$plat" "$cache/$plat" || { echo debootstrap > "$prep"; return; }
        mount_chroot "$cache/$plat"
        prepare_chroot "$plat" "$cache/$plat"
    fi
    [ "$plat" = trixie ] && deps=valkey
    if step deps "${run[@]}" "cd $where && bash scripts/deps.sh $deps"; then
        echo ok > "$prep"
    else
        echo apt > "$prep"
    fi
}

run_platform() {
    local plat=$1 run where n r vers
    local start=$SECONDS status=passed
    local unit="-" tee="-" valkey="" san_s="" deb="-"
    runner "$plat"

    case $(cat "$logdir/$plat.prep" 2>/dev/null) in
    ok) ;;
    debootstrap)
        summary+=("$plat NOT RUN: debootstrap failed (build/matrix/$plat-debootstrap.log)")
        [ "$plat" = sid ] || failed=1
        return ;;
    *)
        summary+=("$plat NOT RUN: apt could not install this release's packages today (build/matrix/$plat-deps.log)")
        [ "$plat" = sid ] || failed=1
        return ;;
    esac
    vers=$("${run[@]}" "$versions_sh" 2>/dev/null)

    step build "${run[@]}" "cd $where && make -j2 all" || status=failed
    if [ $status = passed ]; then
        step unit "${run[@]}" "cd $where && make unit" || status=failed
        read -r n r < <(prove_counts "$logdir/$plat-unit.log")
        unit="$n $r"
        step t "${run[@]}" "cd $where && make t" || status=failed
        read -r n r < <(prove_counts "$logdir/$plat-t.log")
        tee="$n $r"
        if [ "$plat" = trixie ]; then
            # every t/ file that starts a Redis, on Valkey
            step valkey "${run[@]}" "cd $where && \
                TICKET_REDIS=/usr/bin/valkey-server \
                TICKET_BUILD=$where/build prove -f -j2 \
                \$(grep -l start_redis t/*.t)" || status=failed
            read -r n r < <(prove_counts "$logdir/$plat-valkey.log")
            valkey=", t/ on Valkey $n $r"
        fi
        if [ "$san" = 1 ]; then
            step san "${run[@]}" "cd $where && make SAN=1 all unit t" \
                || status=failed
            read -r n r < <(prove_counts "$logdir/$plat-san.log")
            san_s=", ASan $n $r"
        fi
        # this release's packages, installed, t/ against them, purged
        step deb "${run[@]}" "cd $where && make deb-test" || status=failed
        read -r n r < <(prove_counts "$logdir/$plat-deb.log")
        deb="$n $r"
    fi
    [ "$plat" = bookworm ] || umount_under "$cache/$plat"
    [ $status = passed ] || failed=1
    summary+=("$(printf '%-8s %s: %s; unit %s, t/ %s%s%s, package %s (%ds)' \
               "$plat" "$status" "$vers" "$unit" "$tee" "$valkey" "$san_s" \
               "$deb" $((SECONDS - start)))")
}

start=$SECONDS
for plat in "${platforms[@]}"; do
    rm -f "$logdir/$plat.prep"
    prepare_platform "$plat" &
done
wait
echo "matrix: prepared in $((SECONDS - start)) s"

for plat in "${platforms[@]}"; do
    run_platform "$plat"
done

{
    echo
    echo "matrix (logs: build/matrix/):"
    for line in "${summary[@]}"; do
        echo "$line"
    done
} | tee "$logdir/summary.txt"
exit $failed
