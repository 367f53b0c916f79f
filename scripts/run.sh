#!/bin/sh
# `make run`: serve ramal on this machine with nothing configured.
#
# What is not set in the environment or .env is filled in, once, in
# var/local.env (which ramal reads after .env, so the commands you type in
# another terminal — ./ramal simulate, ./ramal number add — use the same
# values):
#   DATABASE_URL      a private PostgreSQL cluster under var/pg, started
#                     here and stopped again when the server stops (Ctrl-C)
#   RAMAL_SECRET_KEY  a random key of this machine
#   TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
#                     a made-up local account, so `ramal simulate` can sign
#                     webhooks without a Twilio account
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p var
umask 077
local_env=var/local.env

# Is NAME set by the environment or by .env?
is_set() {
	eval "v=\${$1:-}"
	[ -n "$v" ] && return 0
	grep -qs "^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$1=." .env
}

# A value kept in var/local.env from an earlier run.
kept() {
	sed -n "s/^$1=//p" "$local_env" 2>/dev/null | tail -n 1
}

new_env=$(mktemp "$top/var/.local.env.XXXXXX")
trap 'rm -f "$new_env"' EXIT
echo "# Written by make run (scripts/run.sh) for this machine only. ramal reads it after .env." >"$new_env"

local_pg=0
if ! is_set DATABASE_URL; then
	sh scripts/pg-local.sh start
	echo "DATABASE_URL=$(sh scripts/pg-local.sh url)" >>"$new_env"
	local_pg=1
fi
if ! is_set RAMAL_SECRET_KEY; then
	key=$(kept RAMAL_SECRET_KEY)
	[ -n "$key" ] || key=$(openssl rand -hex 32)
	echo "RAMAL_SECRET_KEY=$key" >>"$new_env"
fi
if ! is_set TWILIO_ACCOUNT_SID && ! is_set TWILIO_AUTH_TOKEN; then
	sid=$(kept TWILIO_ACCOUNT_SID)
	tok=$(kept TWILIO_AUTH_TOKEN)
	[ -n "$sid" ] || sid=AC$(openssl rand -hex 16)
	[ -n "$tok" ] || tok=$(openssl rand -hex 16)
	echo "# A made-up local account (not on Twilio) for ramal simulate." >>"$new_env"
	echo "TWILIO_ACCOUNT_SID=$sid" >>"$new_env"
	echo "TWILIO_AUTH_TOKEN=$tok" >>"$new_env"
fi
mv "$new_env" "$local_env"
trap - EXIT

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
echo "run: in another terminal, try: ./ramal simulate inbound --to +551130000000 --from +5511987654321" >&2
./ramal serve &
pid=$!
status=0
wait "$pid" || status=$?
# A signal to run.sh interrupts wait; the trap has already stopped all.
pid=""
stop
exit "$status"
