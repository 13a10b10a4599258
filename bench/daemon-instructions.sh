#!/bin/bash
# bench/daemon-instructions.sh: mioproxy's user-space instructions per unit
# of work, counted by callgrind while the daemon forwards real load.
#
# The load harness (bench/run) says how much CPU a proxy spends per
# request; this says how little of it is mioproxy's own code: the daemon
# runs under valgrind --tool=callgrind (user space only, exact counts),
# each load is run once to warm up, then the counters are zeroed, the load
# runs again, and the instructions of that second run are divided by the
# requests, connections or queries it served.  Loopback only; every
# process it starts is stopped at exit.
#
#   bench/daemon-instructions.sh [--build DIR] [--seconds S]
#
# Needs, from Debian: valgrind, wrk, nginx-light (the HTTP backend),
# dnsperf, dnsmasq.  A missing one skips its loads.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$here")/build
secs=4
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--seconds) secs=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "daemon-instructions.sh: unknown argument: $1" >&2; exit 1 ;;
	esac
	shift
done
case $secs in ''|*[!0-9]*|0) echo "--seconds wants a whole number" >&2; exit 1 ;; esac
bin=$build/daemon/.libs/mioproxy
[ -x "$bin" ] || bin=$build/daemon/mioproxy
[ -x "$bin" ] || { echo "no mioproxy in $build/daemon" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "skipped: valgrind not installed"; exit 0; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mio-cg.XXXXXX") || exit 1
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null
	done
	sleep 0.5
	for p in "${PIDS[@]}"; do
		kill -KILL -- "-$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

spawn() {	# spawn NAME CMD...: in a process group of its own
	local name=$1
	shift
	setsid "$@" >"$tmp/$name.log" 2>&1 </dev/null &
	PIDS+=("$!")
}

# Ports below the ephemeral range, chosen at random to avoid old ones.
base=$((20000 + RANDOM % 9000))
web=$base dns=$((base + 1)) pweb=$((base + 2)) pdns=$((base + 3))

have() { command -v "$1" >/dev/null 2>&1; }
http=0 udp=0
if have wrk && have nginx; then
	http=1
	mkdir -p "$tmp/www"
	cat >"$tmp/www.conf" <<EOF
worker_processes 1;
pid $tmp/www.pid;
error_log $tmp/www.err warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/www/body;
	proxy_temp_path $tmp/www/proxy;
	fastcgi_temp_path $tmp/www/fastcgi;
	uwsgi_temp_path $tmp/www/uwsgi;
	scgi_temp_path $tmp/www/scgi;
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$web backlog=4096;
		location / { default_type text/plain; return 200 "ok\n"; }
	}
}
EOF
	spawn www nginx -e "$tmp/www.err" -p "$tmp/www" -c "$tmp/www.conf" \
	    -g 'daemon off;'
else
	echo "skipped: HTTP loads (wrk and nginx wanted)"
fi
if have dnsperf && have dnsmasq; then
	udp=1
	echo "bench.test A" >"$tmp/queries"
	spawn dnsmasq dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
	    --listen-address=127.0.0.1 --bind-interfaces --port="$dns" \
	    --address=/bench.test/127.0.0.1 --pid-file="$tmp/dnsmasq.pid" \
	    --user="$(id -un)" --group="$(id -gn)" \
	    --log-facility="$tmp/dnsmasq.msg"
else
	echo "skipped: UDP load (dnsperf and dnsmasq wanted)"
fi
[ $http -eq 1 ] || [ $udp -eq 1 ] || exit 0

# The readiness engine, named: what io: auto picks depends on the kernel
# (and on valgrind's support of io_uring).
cat >"$tmp/mioproxy.yaml" <<EOF
version: 1
process: { io: readiness }
logging: { level: warn, access: { target: "off" } }
listeners:
  - { name: web, protocol: tcp, bind: "127.0.0.1:$pweb", upstream: web }
  - name: dns
    protocol: udp
    bind: "127.0.0.1:$pdns"
    upstream: dns
    udp: { session_timeout: 10s, max_sessions: 100000, responses: 1 }
upstreams:
  web: { servers: [ { address: "127.0.0.1:$web" } ] }
  dns: { servers: [ { address: "127.0.0.1:$dns" } ] }
EOF
# The installed-style binary needs its library from the build tree.
export LD_LIBRARY_PATH=$build/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
spawn mioproxy valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" \
    "$bin" -c "$tmp/mioproxy.yaml"
vpid=${PIDS[-1]}
for _ in $(seq 100); do
	ss -ltn 2>/dev/null | grep -q ":$pweb " && break
	sleep 0.1
done
sleep 1

# measure LABEL UNIT CMD...: warm-up run, zero, counted run; CMD prints
# the work done (a number) on its last line.
measure() {
	local label=$1 unit=$2 work ir f
	shift 2
	"$@" >/dev/null 2>&1
	callgrind_control -z "$vpid" >/dev/null 2>&1
	work=$("$@" 2>/dev/null | tail -n1)
	rm -f "$tmp"/cg.*.[0-9]*
	callgrind_control -d "$vpid" >/dev/null 2>&1
	sleep 0.5
	f=$(ls -t "$tmp"/cg.*.[0-9]* 2>/dev/null | head -n1)
	ir=$(awk '/^summary:/ { print $2 }' "$f" 2>/dev/null)
	if [ -z "$ir" ] || [ -z "$work" ] || [ "$work" = 0 ]; then
		echo "| $label | failed | | |"
		return
	fi
	printf '| %s | %s | %s | %.0f |\n' "$label" "$work" "$ir" \
	    "$(awk -v a="$ir" -v b="$work" 'BEGIN { print a / b }')"
}
wrk_requests() {
	wrk -t1 -c20 -d"${secs}s" "$@" "http://127.0.0.1:$pweb/" |
	    awk '/ requests in / { print $1 }'
}
dnsperf_queries() {
	dnsperf -s 127.0.0.1 -p "$pdns" -d "$tmp/queries" -c 10 \
	    -l "$secs" -t 2 | awk '/Queries completed:/ { print $3 }'
}

echo "| load (mioproxy under callgrind, ${secs} s) | units | instructions | per unit |"
echo "| --- | ---: | ---: | ---: |"
if [ $http -eq 1 ]; then
	measure "HTTP keep-alive, wrk -c20: per request" request wrk_requests
	measure "HTTP Connection: close, wrk -c20: per connection" connection \
	    wrk_requests -H "Connection: close"
fi
[ $udp -eq 1 ] && measure "UDP DNS, dnsperf -c10: per query" query dnsperf_queries
exit 0
