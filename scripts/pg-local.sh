#!/bin/sh
# A private PostgreSQL cluster for `make run`, under var/pg, listening only
# on a unix socket in var/pg/run.  Usage: scripts/pg-local.sh start|stop|url
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# postgres user.  When postgres cannot reach var/ (a clone under /root, mode
# 700), the data lives in /var/lib/ramal/<hash of this path> and var/pg
# links to it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
pg=$top/var/pg
bindir=$(pg_config --bindir 2>/dev/null || true)
for d in "$bindir" /usr/lib/postgresql/*/bin; do
	if [ -x "$d/initdb" ]; then bindir=$d; break; fi
done
[ -x "$bindir/initdb" ] || { echo "pg-local: initdb not found (install postgresql)" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

prepare_dir() {
	mkdir -p "$top/var"
	if [ -e "$pg" ] || [ -L "$pg" ]; then
		return
	fi
	if [ "$(id -u)" -ne 0 ]; then
		mkdir -p "$pg"
		return
	fi
	mkdir -p "$pg"
	chown postgres:postgres "$pg"
	if ! runuser -u postgres -- test -w "$pg"; then
		rmdir "$pg"
		hash=$(printf '%s' "$top" | sha256sum | cut -c1-12)
		alt=/var/lib/ramal/pg-$hash
		mkdir -p "$alt"
		chown postgres:postgres "$alt"
		chmod 700 "$alt"
		ln -s "$alt" "$pg"
		echo "pg-local: postgres cannot reach $top/var, so the cluster lives in $alt (var/pg links to it)" >&2
	fi
}

socket_dir() { echo "$pg/run"; }
port=${RAMAL_PG_PORT:-5433}

url() {
	echo "postgresql:///ramal?host=$(socket_dir)&port=$port&user=postgres"
}

start() {
	prepare_dir
	if [ ! -f "$pg/data/PG_VERSION" ]; then
		echo "pg-local: creating a PostgreSQL cluster in var/pg" >&2
		as_owner mkdir -p "$pg/data" "$pg/run"
		as_owner "$bindir/initdb" -D "$pg/data" -U postgres -A trust \
			-E UTF8 --locale=C.UTF-8 >"$top/var/pg-initdb.log" 2>&1 || {
			cat "$top/var/pg-initdb.log" >&2
			exit 1
		}
	fi
	as_owner mkdir -p "$pg/run"
	if as_owner "$bindir/pg_ctl" -D "$pg/data" status >/dev/null 2>&1; then
		:
	else
		# setsid: Ctrl-C in the terminal reaches ramal, not postgres;
		# run.sh stops the cluster itself afterwards.
		as_owner setsid "$bindir/pg_ctl" -D "$pg/data" -w -t 30 \
			-l "$pg/server.log" \
			-o "-c listen_addresses='' -k $(socket_dir) -p $port" \
			start >/dev/null
	fi
	if ! as_owner "$bindir/psql" -h "$(socket_dir)" -p "$port" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = 'ramal'" | grep -q 1; then
		as_owner "$bindir/createdb" -h "$(socket_dir)" -p "$port" -U postgres ramal
	fi
}

stop() {
	[ -f "$pg/data/PG_VERSION" ] || return 0
	as_owner "$bindir/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url ;;
*) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
