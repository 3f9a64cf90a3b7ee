# ngx_ticket_module: build, test, demo.
#
#   make            module (.so), ticketctl, core library
#   make test       installs what is missing, builds, runs every test:
#                   unit (cmocka), t/ (prove, real nginx), fuzz replays,
#                   then the same again built with AddressSanitizer and
#                   UBSan, then every fuzz target for 10 s (FUZZ_TIME)
#   make demo       local backend + nginx with the module, real tickets
#   make test-matrix  the same on Debian 12 (here), 13 and unstable
#                   (debootstrap chroots, scripts/matrix.sh), packages too
#   make docker-test  the image built, compose run, tickets through it
#   make bench      benchmarks (bench/): revocation propagation, zone size,
#                   ticket checks against plain proxy (wrk, callgrind)
#
# SAN=1 builds everything with -fsanitize=address,undefined into build-san/.

SAN        ?= 0
ifeq ($(SAN),1)
B          := build-san
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
else
B          := build
SANFLAGS   :=
endif

CC         ?= cc
TOP        := $(CURDIR)
NGX_SRC    ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx

WARN       := -W -Wall -Wextra -Wno-unused-parameter -Wpointer-arith -Werror
CFLAGS     ?= -O2 -g
ALL_CFLAGS := -std=gnu99 $(CFLAGS) $(WARN) -fPIC $(SANFLAGS) \
              -Ingx_ticket_module/core
LDFLAGS    += $(SANFLAGS)
CORE_LIBS  := -ljansson -lcrypto
CLI_LIBS   := -lssl $(CORE_LIBS) -ljwt -lhiredis -lz

CORE_SRCS  := $(wildcard ngx_ticket_module/core/*.c)
CORE_HDRS  := $(wildcard ngx_ticket_module/core/*.h)
CORE_OBJS  := $(CORE_SRCS:ngx_ticket_module/core/%.c=$(B)/core/%.o)
CORE_LIB   := $(B)/libticketcore.a

CLI_SRCS   := $(wildcard tools/ticketctl/*.c)
CLI_HDRS   := $(wildcard tools/ticketctl/*.h)
TICKETCTL  := $(B)/ticketctl

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)

MOD_SRCS   := $(wildcard ngx_ticket_module/*.c ngx_ticket_module/*.h) \
              $(CORE_SRCS) $(CORE_HDRS) config
MODULE     := $(B)/nginx/objs/ngx_http_ticket_module.so

.PHONY: all core module ticketctl unit test test-plain test-san test-fuzz t deps \
        demo demo-stop bench bench-revocation bench-audit bench-keyrotation \
        soak clean

all: module ticketctl

core: $(CORE_LIB)
ticketctl: $(TICKETCTL)
module: $(MODULE)

$(B)/core/%.o: ngx_ticket_module/core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

$(TICKETCTL): $(CLI_SRCS) $(CLI_HDRS) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itools/ticketctl -o $@ $(CLI_SRCS) $(CORE_LIB) \
	    $(LDFLAGS) $(CLI_LIBS)

$(B)/unit/%: tests/unit/%.c tests/unit/*.h $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(CORE_LIB) $(LDFLAGS) \
	    $(CORE_LIBS) -lhiredis -lcmocka

# The module is built by nginx's own scripts against the distribution's
# sources (nginx-dev), exactly as the SPEC says, through the one build
# script that debian/rules and docker/Dockerfile use too.
$(MODULE): $(MOD_SRCS) scripts/build-module.sh
	CC_OPT="$(SANFLAGS)" LD_OPT="$(SANFLAGS)" NGX_SRC="$(NGX_SRC)" \
	    MAKE="$(MAKE)" bash scripts/build-module.sh module $(B)
	@touch $@

unit: $(UNIT_BINS)
	CMOCKA_MESSAGE_OUTPUT=TAP prove --exec "" -f $(UNIT_BINS)

# t/ runs against the module and ticketctl of this build (B).
t: module ticketctl
	TICKET_BUILD=$(TOP)/$(B) SAN=$(SAN) prove -r -f -j2 t/

deps:
	@bash scripts/deps.sh

test-plain: deps
	$(MAKE) SAN=0 all unit t fuzz-replay

test-san: deps
	$(MAKE) SAN=1 all unit t fuzz-replay

# every fuzz target for a short while (make fuzz: a minute each)
test-fuzz: deps
	FUZZ_TIME=$${FUZZ_TIME:-10} bash scripts/fuzz.sh

test: test-plain test-san test-fuzz

demo: deps all
	@bash scripts/demo.sh

demo-stop:
	@bash scripts/demo.sh stop

# Benchmarks print figures; they assert nothing and are not part of test.
bench: bench-revocation bench-audit bench-speed bench-callgrind \
       bench-keyrotation bench-cachecap

bench-revocation: deps all
	TICKET_BUILD=$(TOP)/build perl bench/revocation.pl

bench-keyrotation: deps all
	TICKET_BUILD=$(TOP)/build perl bench/keyrotation.pl

# By hand, not in `make bench`: FLEET gateways (one worker each) following
# a Redis primary and two replicas; propagation to every gateway, Redis
# CPU and connections, the load of 1,000,000 revoked jtis at start
# (bench/RESULTS.md).  BENCH_FLEET_ARGS="--revocations 50 --entries 0".
FLEET      ?= 50
.PHONY: bench-fleet
bench-fleet: deps all
	TICKET_BUILD=$(TOP)/build perl bench/fleet.pl --gateways $(FLEET) \
	    $(BENCH_FLEET_ARGS)

bench-audit: deps ticketctl
	TICKET_BUILD=$(TOP)/build bash bench/audit.sh

# wrk against plain proxy, per algorithm, repeated and new tickets
# (bench/RESULTS.md); BENCH_SPEED_ARGS="--duration 10 --rounds 5
# --rss-minutes 5" for the documented figures.  Needs wrk and valgrind.
.PHONY: bench-speed bench-callgrind
bench-speed: deps all
	TICKET_BUILD=$(TOP)/build perl bench/speed.pl $(BENCH_SPEED_ARGS)

bench-callgrind: deps all
	TICKET_BUILD=$(TOP)/build perl bench/callgrind.pl $(BENCH_CALLGRIND_ARGS)

# tickets the verified-ticket cache holds per algorithm (default zone)
.PHONY: bench-cachecap
bench-cachecap: deps all
	TICKET_BUILD=$(TOP)/build perl bench/cachecap.pl $(BENCH_CACHECAP_ARGS)

# By hand, not in CI: ten minutes of mixed load with revocations and Redis
# restarts; requests, refusals, worker RSS and open fds over time.
soak: deps all
	TICKET_BUILD=$(TOP)/build perl bench/soak.pl $(SOAK_ARGS)

# Fuzzing (tests/fuzz/, as OpenSSL's fuzz/): `make fuzz` runs libFuzzer on
# every target, FUZZ_TIME seconds each (default 60; FUZZ_TIME=10 for CI),
# built by clang into build-fuzz/.  The replay binaries link each target to
# a plain main() with this build's flags (SAN=1: the sanitizers) and run it
# over its seeds and saved crash inputs: they are part of `make test`.
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: fuzz fuzz-replay

fuzz: deps
	bash scripts/fuzz.sh

$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/replay.c \
	    $(CORE_LIB) $(LDFLAGS) $(CORE_LIBS) -lhiredis

# A target calls the code that runs: one that defines a function of the
# module, core or ticketctl, or repeats one's statements, fails the build.
# So does a circle of includes among the glue's files (check-layout.sh).
fuzz-replay: $(FUZZ_BINS)
	bash scripts/check-fuzz-copies.sh
	bash scripts/check-layout.sh
	@set -e; for bin in $(FUZZ_BINS); do t=$${bin##*/}; \
	    $$bin tests/fuzz/corpora/$$t tests/fuzz/regressions/$$t; done

# Debian packages libnginx-mod-http-ticket and ticketctl into build/deb/,
# built by dpkg-buildpackage (dh, dh_nginx) in a copy of the tree, so the
# repository is not touched. `make deb-test` installs them on this machine
# (dpkg -i, as root), runs t/ against the installed files and purges them.
DEB_DIR    := build/deb
DEB_SRCS   := $(MOD_SRCS) $(CLI_SRCS) $(CLI_HDRS) $(CORE_SRCS) $(CORE_HDRS) \
              $(wildcard debian/* debian/source/* docs/*.md examples/*.conf) \
              scripts/build-module.sh man/ticketctl.1 README.md Makefile

.PHONY: deb deb-test install test-matrix docker-test

deb: $(DEB_DIR)/.built

$(DEB_DIR)/.built: $(DEB_SRCS)
	rm -rf build/deb-work $(DEB_DIR)
	mkdir -p build/deb-work/src $(DEB_DIR)
	tar -c --exclude=./build --exclude=./build-san --exclude=./.git \
	    --exclude=./run . | tar -x -C build/deb-work/src
	cd build/deb-work/src && dpkg-buildpackage -b -uc -us \
	    > ../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	mv build/deb-work/*.deb build/deb-work/*.buildinfo \
	    build/deb-work/*.changes build/deb-work/build.log $(DEB_DIR)/
	rm -rf build/deb-work
	touch $@
	@ls $(DEB_DIR)/*.deb

deb-test: deb
	TICKET_PACKAGE_TEST=1 prove -v t/package.t

# Every Debian release a user runs (scripts/matrix.sh): build, unit, t/ and
# the packages in debootstrap chroots; one line per platform at the end.
test-matrix:
	bash scripts/matrix.sh $(MATRIX)

# The image of docker/Dockerfile built and run by docker/compose.yaml on a
# real engine (scripts/docker.sh starts one), tickets sent through it.
docker-test: all
	TICKET_DOCKER_TEST=1 TICKET_BUILD=$(TOP)/build prove -v t/docker.t

# From source: the module where Debian's nginx looks for modules, its
# load_module snippet where Debian keeps them (enable it with a symlink in
# /etc/nginx/modules-enabled), ticketctl and its man page under PREFIX.
PREFIX     ?= /usr/local
MODDIR     ?= /usr/lib/nginx/modules

install: module ticketctl
	install -D -m 0644 $(MODULE) \
	    $(DESTDIR)$(MODDIR)/ngx_http_ticket_module.so
	install -d $(DESTDIR)/usr/share/nginx/modules-available
	echo "load_module $(MODDIR)/ngx_http_ticket_module.so;" \
	    > $(DESTDIR)/usr/share/nginx/modules-available/mod-http-ticket.conf
	install -D -m 0755 $(TICKETCTL) $(DESTDIR)$(PREFIX)/bin/ticketctl
	install -D -m 0644 man/ticketctl.1 \
	    $(DESTDIR)$(PREFIX)/share/man/man1/ticketctl.1

clean:
	rm -rf build build-san build-fuzz
