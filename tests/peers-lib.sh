# Sourced by the shell tests that run real peers (tests/stats/prometheus.sh,
# tests/pp_tcp/peers.sh): a temporary directory, the processes started
# and their cleanup at exit, a failure that shows every log, free ports.
#
#   peers_setup NAME   makes $dir (/tmp/mioproxy-NAME-XXXXXX), empties
#                      $pids (append each background pid to it), and
#                      stops them and removes $dir at exit
#   fail MESSAGE...    prints FAIL and the tail of every $dir/*.log, exit 1
#   free_port N        a free TCP port of 127.0.0.1 (N: a different seed
#                      per call, for the fallback without python3)

peers_setup() {
	dir=$(mktemp -d "/tmp/mioproxy-$1-XXXXXX")
	pids=
	trap peers_cleanup EXIT
}

peers_cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}

fail() {
	echo "FAIL: $*"
	for f in "$dir"/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
	done
	exit 1
}

# From the kernel through python3 where there is one, else a random port
# that ss(8) says nobody listens on.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null && return
	while :; do
		p=$(awk -v s="$$$1" 'BEGIN { srand(s + systime()); print 20000 + int(rand() * 40000) }')
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && break
	done
	echo "$p"
}
