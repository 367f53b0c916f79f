#!/bin/sh
# Build each libFuzzer target given on the command line against the pure
# leaf modules (never the server) and run it for a short while.
#
#   sh scripts/fuzz.sh tests/fuzz/fuzz_*.c
#
# FUZZ_SECONDS (default 20) is the time per target.  Binaries go to
# build/fuzz/, the growing corpus to build/fuzz/corpus/<name>/, crash
# inputs to build/fuzz/artifacts/<name>-*.  Exits non-zero if any target
# fails to build or finds a crash.
set -eu

if [ $# -eq 0 ]; then
	echo "usage: sh scripts/fuzz.sh tests/fuzz/fuzz_NAME.c ..." >&2
	exit 2
fi

CLANG=${CLANG:-clang}
SECONDS_EACH=${FUZZ_SECONDS:-20}
OUT=build/fuzz
LEAVES="src/lib/buf.c src/lib/util.c src/lib/form.c src/twilio/twsig.c src/twilio/twiml.c src/lib/secret.c src/twilio/twparam.c src/twilio/token.c src/twilio/phone.c"
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
	-std=c11 -D_GNU_SOURCE -Iinclude/lib -Iinclude/twilio
	-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough"

mkdir -p "$OUT/artifacts"
failed=""
for src in "$@"; do
	name=$(basename "$src" .c)
	bin="$OUT/$name"
	corpus="$OUT/corpus/$name"
	mkdir -p "$corpus"

	echo "== build $name"
	# shellcheck disable=SC2086
	if ! $CLANG $FLAGS -o "$bin" "$src" $LEAVES -ljansson -lcrypto; then
		failed="$failed $name(build)"
		continue
	fi

	echo "== run $name for ${SECONDS_EACH}s"
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
	    -artifact_prefix="$OUT/artifacts/$name-" "$corpus" \
	    >"$OUT/$name.log" 2>&1; then
		grep -E '^(Done|stat::number_of_executed_units)' \
		    "$OUT/$name.log" || true
	else
		echo "!! $name failed; log: $OUT/$name.log" >&2
		tail -n 40 "$OUT/$name.log" >&2
		failed="$failed $name"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed" >&2
	exit 1
fi
echo "fuzz: all targets ran clean"
