#!/usr/bin/env bash
# The one way ngx_http_ticket_module.so (and ticketctl) are built: against
# the distribution's nginx sources (nginx-dev), by nginx's own scripts:
#
#   cp -r /usr/share/nginx/src DIR/nginx
#   ./configure --with-compat --add-dynamic-module=<repo>
#   make -f objs/Makefile modules
#
# `make` (build/ and, with SAN=1, build-san/), debian/rules (make deb) and
# docker/Dockerfile all call this script.
#
# Usage: scripts/build-module.sh [--debian] [module|ticketctl|all] DIR
#
#   DIR        build directory: DIR/nginx/objs/ngx_http_ticket_module.so,
#              DIR/ticketctl
#   --debian   configure as Debian builds its libnginx-mod-* packages
#              (debhelper's nginx_mod build system): the distribution's
#              configure flags (/usr/share/nginx/src/conf_flags) and
#              dpkg-buildflags for the module and for ticketctl
#
# Environment:
#   NGX_SRC    nginx sources (default /usr/share/nginx/src)
#   CC_OPT     extra compiler flags for the module (--with-cc-opt)
#   LD_OPT     extra linker flags for the module (--with-ld-opt)
#   SAN        passed to make for ticketctl (SAN=1: sanitizers)
#   CFLAGS, LDFLAGS, CC   as make reads them, for ticketctl
#
# Repeated runs are incremental: the sources are copied once, configure
# runs again only when its arguments or the module's config changed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ngx_src=${NGX_SRC:-/usr/share/nginx/src}
make=${MAKE:-make}
debian=0
what=all

usage() {
    echo "usage: scripts/build-module.sh [--debian] [module|ticketctl|all] DIR" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --debian) debian=1; shift ;;
    module|ticketctl|all) what=$1; shift ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) usage ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] || usage
dir=$1
case $dir in /*) ;; *) dir="$PWD/$dir" ;; esac

cc_opt=${CC_OPT:-}
ld_opt=${LD_OPT:-}
conf_flags=()
if [ "$debian" = 1 ]; then
    # As Debian/Debhelper/Buildsystem/nginx_mod.pm configures a module.
    cflags=$(cd "$top" && dpkg-buildflags --get CFLAGS)
    cppflags=$(cd "$top" && dpkg-buildflags --get CPPFLAGS)
    ldflags=$(cd "$top" && dpkg-buildflags --get LDFLAGS)
    cc_opt="$cflags -fPIC $cppflags $cc_opt"
    ld_opt="$ldflags -fPIC $ld_opt"
    # shellcheck disable=SC1091
    . "$ngx_src/conf_flags"
    conf_flags=("${NGX_CONF_FLAGS[@]}")
    export CFLAGS="${CFLAGS:-$cflags $cppflags}"
    export LDFLAGS="${LDFLAGS:-$ldflags}"
fi

build_module() {
    if [ ! -x "$dir/nginx/configure" ]; then
        [ -d "$ngx_src" ] || {
            echo "build-module: $ngx_src missing:" \
                 "apt-get install nginx-dev (or: make deps)" >&2
            exit 2
        }
        rm -rf "$dir/nginx"
        mkdir -p "$dir"
        cp -r "$ngx_src" "$dir/nginx"
    fi

    # --with-http_ssl_module: the key service client (ngx_http_ticket_fetch.c)
    # runs on nginx's SSL layer, as the distribution's nginx is built
    local args=(--with-compat --with-http_ssl_module "${conf_flags[@]}"
                --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt"
                --add-dynamic-module="$top")
    local want
    want=$(printf '%s\n' "${args[@]}")
    if [ ! -f "$dir/nginx/objs/Makefile" ] \
       || [ "$top/config" -nt "$dir/nginx/objs/Makefile" ] \
       || [ "$want" != "$(cat "$dir/nginx/configure.args" 2>/dev/null)" ]
    then
        rm -f "$dir/nginx/configure.args"
        (cd "$dir/nginx" && ./configure "${args[@]}" > configure.log 2>&1) \
            || { tail -20 "$dir/nginx/configure.log" >&2; exit 1; }
        printf '%s\n' "$want" > "$dir/nginx/configure.args"
    fi

    "$make" -C "$dir/nginx" -f objs/Makefile modules
}

build_ticketctl() {
    "$make" -C "$top" --no-print-directory SAN="${SAN:-0}" B="$dir" ticketctl
}

case $what in
module) build_module ;;
ticketctl) build_ticketctl ;;
all) build_module; build_ticketctl ;;
esac
