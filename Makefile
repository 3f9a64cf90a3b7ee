# ngx_ticket_module: build, test, demo.
#
#   make            module (.so), ticketctl, core library
#   make test       installs what is missing, builds, runs every test:
#                   unit (cmocka), t/ (prove, real nginx), then the same
#                   again built with AddressSanitizer and UBSan
#   make demo       local backend + nginx with the module, real tickets
#   make bench      benchmarks (bench/): revocation propagation, zone size
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
CLI_LIBS   := $(CORE_LIBS) -ljwt -lhiredis

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

.PHONY: all core module ticketctl unit test test-plain test-san t deps \
        demo demo-stop bench bench-revocation clean

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
	    $(CORE_LIBS) -lcmocka

# The module is built by nginx's own scripts against the distribution's
# headers (nginx-dev ships no .c files), exactly as the SPEC says.
$(B)/nginx/configure:
	@test -d $(NGX_SRC) || { echo "make: $(NGX_SRC) missing:" \
	    "apt-get install nginx-dev (or: make deps)" >&2; exit 2; }
	rm -rf $(B)/nginx
	mkdir -p $(B)
	cp -r $(NGX_SRC) $(B)/nginx

$(B)/nginx/objs/Makefile: $(B)/nginx/configure config
	cd $(B)/nginx && ./configure --with-compat \
	    --with-cc-opt="$(SANFLAGS)" --with-ld-opt="$(SANFLAGS)" \
	    --add-dynamic-module=$(TOP) > configure.log 2>&1 \
	    || { tail -20 configure.log; exit 1; }

$(MODULE): $(B)/nginx/objs/Makefile $(MOD_SRCS)
	$(MAKE) -C $(B)/nginx -f objs/Makefile modules

unit: $(UNIT_BINS)
	CMOCKA_MESSAGE_OUTPUT=TAP prove --exec "" -f $(UNIT_BINS)

# t/ runs against the module and ticketctl of this build (B).
t: module ticketctl
	TICKET_BUILD=$(TOP)/$(B) SAN=$(SAN) prove -r -f -j2 t/

deps:
	@bash scripts/deps.sh

test-plain: deps
	$(MAKE) SAN=0 all unit t

test-san: deps
	$(MAKE) SAN=1 all unit t

test: test-plain test-san

demo: deps all
	@bash scripts/demo.sh

demo-stop:
	@bash scripts/demo.sh stop

# Benchmarks print figures; they assert nothing and are not part of test.
bench: bench-revocation

bench-revocation: deps all
	TICKET_BUILD=$(TOP)/build perl bench/revocation.pl

clean:
	rm -rf build build-san
