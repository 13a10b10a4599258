#!/bin/sh
# Builds examples/echo.c out of tree against the INSTALLED libmio, found
# only through pkg-config, then runs it on an ephemeral loopback port
# and checks one TCP and one UDP round trip (bash's /dev/tcp, /dev/udp).
#
# Called by `make installcheck` (and so by `make distcheck`) with:
#   CC, PKG_CONFIG, PKG_CONFIG_PATH, MIO_PREFIX (the installed prefix,
#   DESTDIR included) and LD_LIBRARY_PATH set; $1 is echo.c.
set -eu

src=$1
: "${CC:=cc}"
: "${PKG_CONFIG:=pkg-config}"
work=$(mktemp -d "${TMPDIR:-/tmp}/mio-installcheck.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The .pc names its directories through ${prefix}: point that at where
# the files are now (it differs from the configured prefix under DESTDIR).
flags=$($PKG_CONFIG --define-variable=prefix="$MIO_PREFIX" \
    --cflags --libs libmio)
echo "installcheck: $CC $src $flags"
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror -o "$work/echo" "$src" $flags

"$work/echo" 127.0.0.1:0 >"$work/out" 2>&1 &
pid=$!
port=
tries=0
while [ -z "$port" ] && [ $tries -lt 100 ]; do
	port=$(sed -n 's/^echo listening on 127\.0\.0\.1:\([0-9][0-9]*\) (tcp, udp)$/\1/p' \
	    "$work/out")
	[ -n "$port" ] || { tries=$((tries + 1)); sleep 0.05; }
done
if [ -z "$port" ]; then
	echo "installcheck: echo did not start:"
	cat "$work/out"
	exit 1
fi

if ! command -v bash >/dev/null 2>&1; then
	echo "installcheck: no bash for /dev/tcp; built and started only"
	exit 0
fi
got=$(bash -c '
	exec 3<>/dev/tcp/127.0.0.1/'"$port"' || exit 1
	printf "hello, installed libmio\n" >&3
	IFS= read -r -t 5 line <&3 || exit 1
	printf "%s|" "$line"
	exec 4<>/dev/udp/127.0.0.1/'"$port"' || exit 1
	printf "datagram" >&4
	IFS= read -r -t 5 -N 8 dg <&4 || exit 1
	printf "%s" "$dg"
') || got="(client failed: $got)"
if [ "$got" != "hello, installed libmio|datagram" ]; then
	echo "installcheck: wrong echo: $got"
	exit 1
fi

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
if [ $rc -ne 0 ]; then
	echo "installcheck: echo exited with status $rc"
	exit 1
fi
grep -q '^echo: stopped$' "$work/out"
echo "installcheck: echo round trips ok on port $port"
