#!/bin/sh
# The stats endpoint as Prometheus sees it: `promtool check metrics` on a
# scrape of a running mioproxy with traffic behind it, then a real
# Prometheus server (Debian's prometheus package) on 127.0.0.1, scraping
# mioproxy every second into a temporary directory, asked through its
# HTTP API about what it scraped.  Skipped (exit 77) where the package is
# missing: ./dev prometheus-deps installs it.
set -u
top_builddir=${top_builddir:-.}
proxy=$top_builddir/daemon/mioproxy
echo_bin=$top_builddir/examples/echo

if ! command -v promtool >/dev/null 2>&1 ||
    ! command -v prometheus >/dev/null 2>&1; then
	echo "SKIP: promtool and prometheus not installed (./dev prometheus-deps)"
	exit 77
fi
if ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: curl not installed"
	exit 77
fi

. "$(dirname "$0")/../peers-lib.sh"
peers_setup prom
stats=$(free_port 1)
web=$(free_port 2)
back=$(free_port 3)
prom=$(free_port 4)

"$echo_bin" "127.0.0.1:$back" >"$dir/echo.log" 2>&1 &
pids="$pids $!"
cat >"$dir/proxy.yaml" <<EOF2
version: 1
process: { io: ${MIOPROXY_TEST_IO:-readiness} }
stats: { listen: 127.0.0.1:$stats }
listeners:
  - { name: web, protocol: tcp, bind: 127.0.0.1:$web, upstream: web }
upstreams:
  web: { servers: [ { address: 127.0.0.1:$back } ] }
EOF2
"$proxy" -c "$dir/proxy.yaml" >"$dir/proxy.log" 2>&1 &
pids="$pids $!"

# Waits up to $1 tenths of a second for a command to succeed.
wait_for() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
wait_for 50 curl -sf "http://127.0.0.1:$stats/healthz" ||
    fail "mioproxy did not answer /healthz"
# Some sessions, so that every family has moving samples.
for i in 1 2 3; do
	curl -s -m 2 "http://127.0.0.1:$web/" >/dev/null 2>&1
done
curl -sf "http://127.0.0.1:$stats/metrics" >"$dir/metrics.txt" ||
    fail "scrape"
promtool check metrics <"$dir/metrics.txt" >"$dir/promtool.log" 2>&1 ||
    fail "promtool check metrics refused the page"
echo "ok: promtool check metrics accepts $(wc -l <"$dir/metrics.txt") lines"

cat >"$dir/prometheus.yml" <<EOF2
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: mioproxy
    static_configs: [ { targets: [ "127.0.0.1:$stats" ] } ]
EOF2
promtool check config "$dir/prometheus.yml" >"$dir/promtool.log" 2>&1 ||
    fail "promtool check config"
prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$prom" >"$dir/prometheus.log" 2>&1 &
pids="$pids $!"

# The query: sessions the server took, as Prometheus scraped them.
query() {
	curl -sf "http://127.0.0.1:$prom/api/v1/query" \
	    --data-urlencode "query=$1" >"$dir/answer.json" &&
	    grep -q "$2" "$dir/answer.json"
}
wait_for 300 query 'up{job="mioproxy"}' '"value":\[[0-9.]*,"1"\]' ||
    fail "prometheus never scraped mioproxy: $(cat "$dir/answer.json" 2>/dev/null)"
wait_for 100 query \
    "mioproxy_server_sessions_total{upstream=\"web\",server=\"127.0.0.1:$back\"}" \
    '"value":\[[0-9.]*,"3"\]' ||
    fail "no answer about mioproxy_server_sessions_total: $(cat "$dir/answer.json")"
echo "ok: prometheus scraped mioproxy and answered: $(cat "$dir/answer.json")"
wait_for 50 query 'mioproxy_build_info' '"version"' ||
    fail "no mioproxy_build_info"
exit 0
