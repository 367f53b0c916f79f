#!/bin/sh
# Install the Debian packages a make target needs, and nothing when they
# are all present already.  Usage: scripts/deps.sh build|web|run|test|bench|fuzz|all
set -eu

build="gcc make pkg-config libmicrohttpd-dev libpq-dev libcurl4-openssl-dev libjansson-dev libjwt-dev libssl-dev libxml2-dev"
run="$build postgresql"
# The softphone (web/): Node and npm (Debian 12's 18.x and 9.x are enough;
# an existing node/npm, e.g. NodeSource's, is used as is), Chromium for the
# end-to-end test.
web="nodejs npm"
test="$run $web libcmocka-dev python3 python3-pytest python3-twilio python3-psycopg2 python3-requests python3-yaml python3-lxml libxml2-utils chromium"
bench="$run wrk"
fuzz="$build clang libclang-rt-14-dev clang-format"

case "${1:-build}" in
build) want="$build $web" ;;
web) want=$web ;;
run) want="$run $web" ;;
test) want=$test ;;
bench) want="$test wrk" ;;
fuzz) want=$fuzz ;;
all) want="$test $bench $fuzz" ;;
*) echo "deps.sh: unknown target '$1' (build|web|run|test|bench|fuzz|all)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	# node and npm from elsewhere (NodeSource ships npm inside nodejs).
	[ "$p" = nodejs ] && command -v node >/dev/null 2>&1 && continue
	[ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing Debian packages:$missing" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps.sh: need root or sudo to install:$missing" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
