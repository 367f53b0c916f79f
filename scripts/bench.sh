#!/bin/sh
# make bench: load test of ./ramal with wrk; see scripts/bench.py.
exec /usr/bin/python3 "$(dirname "$0")/bench.py" "$@"
