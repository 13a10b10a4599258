#!/bin/sh
# examples/echo.exe under wine serves TCP and UDP to Linux clients on
# 127.0.0.1 (wine's sockets are the host's): a line, 200 KiB of bytes
# checked with cmp, a datagram.  Run by make check in the Windows build.
set -eu

: "${WINE:=wine}"
# The program itself, not libtool's wrapper .exe, which would outlive a
# kill as the parent of the real one (WINEPATH finds libmio.dll).
echo_exe=examples/.libs/echo.exe
[ -f "$echo_exe" ] || echo_exe=examples/echo.exe
tmp=$(mktemp -d)
pid=
stop() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
}
cleanup() {
	stop
	rm -rf "$tmp"
}
trap cleanup EXIT

"$WINE" "$echo_exe" 127.0.0.1:0 >"$tmp/out" 2>&1 &
pid=$!
i=0
until grep -q 'listening on' "$tmp/out"; do
	i=$((i + 1))
	if [ "$i" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "echo-wine: the server did not start:" >&2
		cat "$tmp/out" >&2
		exit 1
	fi
	sleep 0.1
done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/out")
echo "echo-wine: serving on port $port"

# TCP: a line, then a bulk transfer checked byte for byte; bash's
# /dev/tcp is the client, its half-close the end of input.
got=$(bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; echo 'hello tcp' >&3;
    timeout 10 head -n1 <&3")
[ "$got" = "hello tcp" ] || { echo "echo-wine: tcp got '$got'" >&2; exit 1; }
head -c 204800 /dev/urandom >"$tmp/bulk"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$port
    cat '$tmp/bulk' >&3 &
    timeout 20 head -c 204800 <&3 >'$tmp/back'
    wait"
cmp "$tmp/bulk" "$tmp/back"
echo "echo-wine: tcp ok (line and 200 KiB intact)"

# UDP: one datagram and its echo, on a connected /dev/udp socket.
got=$(bash -c "exec 4<>/dev/udp/127.0.0.1/$port; printf 'hello udp' >&4;
    timeout 10 dd bs=64 count=1 <&4 2>/dev/null")
[ "$got" = "hello udp" ] || { echo "echo-wine: udp got '$got'" >&2; exit 1; }
echo "echo-wine: udp ok"
stop
