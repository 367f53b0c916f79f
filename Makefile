# ramal — plain Makefile.  `make` builds ./ramal; see README.md for the rest.

PKGS     := libmicrohttpd libpq libcurl jansson libjwt openssl
CC       ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough \
	-fno-common
ifneq ($(CI),)
WARN += -Werror
endif

OPT      ?= -O2 -g
CPPFLAGS += -Iinclude -D_GNU_SOURCE -D_FORTIFY_SOURCE=2
CFLAGS   += -std=c11 $(OPT) $(WARN) -fstack-protector-strong -pthread $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -pthread -lm

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# B is the build tree and BIN the server binary: build/ and ./ramal normally,
# build-asan/ and build-asan/ramal for `make asan`.
B        ?= build
BIN      ?= ramal

SRC      := $(sort $(wildcard src/*.c))
OBJ      := $(SRC:src/%.c=$(B)/obj/%.o) $(B)/obj/sql_embed.o $(B)/obj/version.o
LIBOBJ   := $(filter-out $(B)/obj/main.o,$(OBJ))
SQL      := $(sort $(wildcard sql/*.sql))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

PYTEST   := /usr/bin/python3 -m pytest

.PHONY: all run test unit pytest asan fuzz format format-check bench clean deps web web-e2e webtest tools test-fast

all: $(BIN) web

# ---- the softphone (web/): npm with the committed lockfile ----
# `npm ci` runs again when the lockfile changes; the builds when a source
# file does.  web/dist is the production build (served by ramal, WEB_DIR);
# web/dist-e2e is the test build with the fake Voice SDK (tests only).
NPM      ?= npm
WEB_SRC  := $(shell find web/src web/public web/e2e -type f 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json web/package.json
WEB_STAMP := web/node_modules/.ramal-npm-ci

$(WEB_STAMP): web/package-lock.json web/package.json
	@command -v $(NPM) >/dev/null 2>&1 || sh scripts/deps.sh web
	cd web && $(NPM) ci --no-audit --no-fund
	@touch $@

web/dist/index.html: $(WEB_STAMP) $(WEB_SRC)
	cd web && $(NPM) run build
	@touch $@

web/dist-e2e/index.html: $(WEB_STAMP) $(WEB_SRC)
	cd web && $(NPM) run build:e2e
	@touch $@

web: web/dist/index.html

web-e2e: web/dist-e2e/index.html

webtest: $(WEB_STAMP)
	cd web && $(NPM) test

$(BIN): $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

$(B)/obj/%.o: src/%.c $(wildcard include/*.h) | $(B)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Migrations are compiled into the binary, so a deployed ramal needs no
# sql/ directory next to it.
$(B)/sql_embed.c: $(SQL) scripts/embed-sql.sh | $(B)/obj
	sh scripts/embed-sql.sh $(SQL) > $@.tmp && mv $@.tmp $@

$(B)/obj/sql_embed.o: $(B)/sql_embed.c include/migrate.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/version.c: FORCE | $(B)/obj
	@printf 'const char ramal_version[] = "%s";\n' '$(VERSION)' > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@

$(B)/obj/version.o: $(B)/version.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

FORCE:

$(B)/obj $(B)/unit $(B)/tools:
	@mkdir -p $@

$(B)/unit/%: tests/unit/%.c $(LIBOBJ) | $(B)/unit
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS) -lcmocka

$(B)/tools/%: tests/tools/%.c $(LIBOBJ) | $(B)/tools
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

tools: $(TOOL_BIN)

deps:
	@sh scripts/deps.sh test

run:
	@sh scripts/deps.sh run
	@$(MAKE) --no-print-directory ramal web
	@sh scripts/run.sh

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; ./$$t; done

pytest: $(BIN) $(TOOL_BIN)
	RAMAL_BIN=$(abspath $(BIN)) RAMAL_TOOLS=$(abspath $(B)/tools) $(PYTEST) -q tests/py

# The quick loop: the unit tests, then the pytest tests but the slow, outage and e2e ones.
test-fast: unit $(BIN) $(TOOL_BIN)
	RAMAL_BIN=$(abspath $(BIN)) RAMAL_TOOLS=$(abspath $(B)/tools) $(PYTEST) -q -m "not slow and not outage and not e2e" tests/py

test:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory $(BIN) tools $(UNIT_BIN) web web-e2e
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory webtest
	@$(MAKE) --no-print-directory pytest

# The whole suite again with AddressSanitizer + UndefinedBehaviorSanitizer
# in a separate build tree, so it never mixes objects with the normal one.
asan:
	@sh scripts/deps.sh test
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) --no-print-directory B=build-asan BIN=build-asan/ramal \
		OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" \
		test

fuzz:
	@sh scripts/deps.sh fuzz
	@sh scripts/fuzz.sh $(FUZZ_SRC)

bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory ramal
	@sh scripts/bench.sh

FORMAT_FILES = $(wildcard src/*.c include/*.h tests/unit/*.c tests/fuzz/*.c tests/tools/*.c)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@sh scripts/deps.sh fuzz
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build build-asan ramal web/dist web/dist-e2e
