# ramal — plain Makefile.  `make` builds ./ramal; see README.md for the rest.

PKGS     := libmicrohttpd libpq libcurl jansson libjwt openssl libxml-2.0
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
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2
CFLAGS   += -std=c11 $(OPT) $(WARN) -fstack-protector-strong -pthread $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -pthread -lm

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# B is the build tree and BIN the server binary: build/ and ./ramal normally,
# build-asan/ and build-asan/ramal for `make asan`.
B        ?= build
BIN      ?= ramal

# ---- layers (docs/architecture.md) ----
# src/L/*.c compiles with the include paths of the layers L may use and no
# other, so including a header of a layer above is a compile error; unit
# tests of tests/unit/L link only those layers' archives, so calling up is
# a link error; `make layers` checks every object for call cycles and
# upward references.  LINK_ORDER lists the layers top down (static
# archives resolve left to right).
LAYERS     := lib twilio core store auth calls api cli
USES_lib    := lib
USES_twilio := lib twilio
USES_core   := lib core
USES_store  := lib twilio core store
USES_auth   := $(USES_store) auth
USES_calls  := $(USES_store) calls
USES_api    := $(USES_store) auth calls api
USES_cli    := $(USES_store) auth calls cli
USES_top    := $(LAYERS)
LINK_ORDER := cli api calls auth store core twilio lib

incs = $(foreach l,$(USES_$(1)),-Iinclude/$(l))
# The archives layer $(1) may link, top down.
archives = $(foreach l,$(LINK_ORDER),$(if $(filter $(l),$(USES_$(1))),$(B)/lib$(l).a))

$(foreach l,$(LAYERS),$(eval SRC_$(l) := $(sort $(wildcard src/$(l)/*.c))))
$(foreach l,$(LAYERS),$(eval OBJ_$(l) := $(SRC_$(l):src/%.c=$(B)/obj/%.o)))
# Generated sources belong to the layer that declares them.
OBJ_core += $(B)/obj/core/sql_embed.o
OBJ_lib  += $(B)/obj/lib/version.o
OBJ_api  += $(B)/obj/api/web_embed.o
SRC_top  := $(sort $(wildcard src/*.c))
OBJ_top  := $(SRC_top:src/%.c=$(B)/obj/%.o)
LAYER_OBJ := $(foreach l,$(LAYERS),$(OBJ_$(l)))
OBJ      := $(OBJ_top) $(LAYER_OBJ)
LIBOBJ   := $(filter-out $(B)/obj/main.o,$(OBJ))
SQL      := $(sort $(wildcard sql/*.sql))
DEPFLAGS  = -MMD -MP

UNIT_SRC := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

PYTEST   := /usr/bin/python3 -m pytest

.PHONY: all run test unit pytest asan fuzz format format-check bench clean deps web web-e2e webtest client tools layers test-fast

# The softphone first: the binary embeds web/dist as it is when it links.
all: web
	@$(MAKE) --no-print-directory $(BIN)

# ---- the softphone (web/): npm with the committed lockfile ----
# `npm ci` runs again when the lockfile changes; the builds when a source
# file does.  web/dist is the production build (built into ramal);
# web/dist-e2e is the test build with the fake Voice SDK (tests only).
NPM      ?= npm
# The typed client (clients/ts) is compiled into the softphone.
CLIENT_SRC := $(shell find clients/ts/src clients/ts/scripts -type f 2>/dev/null) \
	clients/ts/package.json $(wildcard clients/ts/tsconfig*.json)
CLIENT_STAMP := clients/ts/node_modules/.ramal-npm-ci
WEB_SRC  := $(shell find web/src web/public web/e2e -type f 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json web/package.json \
	$(filter clients/ts/src/%,$(CLIENT_SRC))
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

# The client on its own: npm ci from its lockfile, tsc's ES modules in
# clients/ts/dist (what the cross-origin browser test serves).
$(CLIENT_STAMP): clients/ts/package-lock.json clients/ts/package.json
	@command -v $(NPM) >/dev/null 2>&1 || sh scripts/deps.sh web
	cd clients/ts && $(NPM) ci --no-audit --no-fund
	@touch $@

clients/ts/dist/index.js: $(CLIENT_STAMP) $(CLIENT_SRC)
	cd clients/ts && $(NPM) run build
	@touch $@

client: clients/ts/dist/index.js

webtest: $(WEB_STAMP) $(CLIENT_STAMP)
	cd clients/ts && $(NPM) run typecheck && $(NPM) test
	cd web && $(NPM) test

# ---- the server ----
$(BIN): $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

define layer_rules
$(B)/obj/$(1)/%.o: src/$(1)/%.c | $(B)/obj/$(1)
	$$(CC) $$(CPPFLAGS) $(call incs,$(1)) $$(CFLAGS) $$(DEPFLAGS) -c -o $$@ $$<

$(B)/lib$(1).a: $(OBJ_$(1))
	@rm -f $$@
	$$(AR) rcs $$@ $$^

$(B)/unit/$(1)/%: tests/unit/$(1)/%.c $(call archives,$(1)) | $(B)/unit/$(1)
	$$(CC) $$(CPPFLAGS) $(call incs,$(1)) $$(CFLAGS) $$(DEPFLAGS) -o $$@ $$< $(call archives,$(1)) $$(LDLIBS) -lcmocka

$(B)/obj/$(1) $(B)/unit/$(1):
	@mkdir -p $$@
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rules,$(l))))

# main.c, routes.c and jobkinds.c: the wiring, which may use every layer.
$(OBJ_top): $(B)/obj/%.o: src/%.c | $(B)/obj
	$(CC) $(CPPFLAGS) -Iinclude $(call incs,top) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# Migrations are compiled into the binary, so a deployed ramal needs no
# sql/ directory next to it.
$(B)/sql_embed.c: $(SQL) scripts/embed-sql.sh | $(B)/obj
	sh scripts/embed-sql.sh $(SQL) > $@.tmp && mv $@.tmp $@

$(B)/obj/core/sql_embed.o: $(B)/sql_embed.c | $(B)/obj/core
	$(CC) $(CPPFLAGS) $(call incs,core) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# So is the built softphone (web/dist; WEB_DIR overrides it at run time).
# The table is whatever web/dist holds when ramal is made, and empty when
# it was never built: `make` builds web/dist first, `make ramal` alone does
# not (no Node.js needed for the C server).
WEB_DIST := $(shell find web/dist -type f 2>/dev/null)

$(B)/web_embed.c: scripts/embed-web.sh $(WEB_DIST) | $(B)/obj
	sh scripts/embed-web.sh web/dist > $@.tmp && mv $@.tmp $@

$(B)/obj/api/web_embed.o: $(B)/web_embed.c | $(B)/obj/api
	$(CC) $(CPPFLAGS) $(call incs,api) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/version.c: FORCE | $(B)/obj
	@printf 'const char ramal_version[] = "%s";\n' '$(VERSION)' > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@

$(B)/obj/lib/version.o: $(B)/version.c | $(B)/obj/lib
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

FORCE:

$(B)/obj $(B)/tools:
	@mkdir -p $@

# Test tools drive the server's modules from outside: every layer.
$(B)/tools/%: tests/tools/%.c $(LIBOBJ) | $(B)/tools
	$(CC) $(CPPFLAGS) -Iinclude $(call incs,top) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

-include $(OBJ:.o=.d) $(UNIT_BIN:=.d) $(TOOL_BIN:=.d)

tools: $(TOOL_BIN)

# No call cycle between files, no reference to a layer above (scripts/layers.py),
# with the USES_* rules above.
empty :=
space := $(empty) $(empty)
comma := ,
LAYER_SPEC = $(foreach l,$(LAYERS),$(l)=$(subst $(space),$(comma),$(strip $(USES_$(l)))))
# The layers whose objects may call libpq (PQ*): no PGresult above the
# store.
PQ_LAYERS  := core store

layers: $(OBJ)
	@/usr/bin/python3 scripts/layers.py --root $(B)/obj --uses "$(LAYER_SPEC)" \
		--pq-layers "$(subst $(space),$(comma),$(strip $(PQ_LAYERS)))" $(OBJ)

deps:
	@sh scripts/deps.sh test

run:
	@sh scripts/deps.sh run
	@$(MAKE) --no-print-directory web
	@$(MAKE) --no-print-directory ramal
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
	@$(MAKE) --no-print-directory web web-e2e client
	@$(MAKE) --no-print-directory $(BIN) tools $(UNIT_BIN)
	@$(MAKE) --no-print-directory layers
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

FORMAT_FILES = $(wildcard src/*.c src/*/*.c include/*.h include/*/*.h tests/unit/*/*.c tests/fuzz/*.c tests/tools/*.c)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@sh scripts/deps.sh fuzz
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build build-asan ramal web/dist web/dist-e2e clients/ts/dist
