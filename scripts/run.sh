#!/bin/sh
# `make run`: serve ramal on this machine.  With DATABASE_URL unset, a
# private PostgreSQL cluster under var/pg is created (first time), started,
# and stopped again when the server stops (Ctrl-C).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Values from .env count as set, as they do for ramal itself.
if [ -z "${DATABASE_URL:-}" ] && [ -f .env ]; then
	DATABASE_URL=$(sed -n 's/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}DATABASE_URL=//p' .env | tail -n 1 | tr -d "\"'")
fi
if [ -z "${RAMAL_SECRET_KEY:-}" ] && ! grep -qs '^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}RAMAL_SECRET_KEY=.' .env; then
	# A key of this machine, kept under var/ so stored secrets stay readable.
	mkdir -p var
	if [ ! -s var/secret.key ]; then
		umask 077
		openssl rand -hex 32 >var/secret.key
		echo "run: made var/secret.key for RAMAL_SECRET_KEY (production sets its own)" >&2
	fi
	RAMAL_SECRET_KEY=$(cat var/secret.key)
	export RAMAL_SECRET_KEY
fi

local_pg=0
if [ -z "${DATABASE_URL:-}" ]; then
	sh scripts/pg-local.sh start
	DATABASE_URL=$(sh scripts/pg-local.sh url)
	export DATABASE_URL
	local_pg=1
fi

pid=""
stop() {
	trap - INT TERM
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "$local_pg" -eq 1 ]; then
		sh scripts/pg-local.sh stop
		echo "run: local PostgreSQL stopped" >&2
	fi
}
trap 'stop; exit 0' INT TERM

echo "run: ramal on http://localhost:${PORT:-8080}  (Ctrl-C stops it)" >&2
./ramal serve &
pid=$!
status=0
wait "$pid" || status=$?
# A signal to run.sh interrupts wait; the trap has already stopped all.
pid=""
stop
exit "$status"
