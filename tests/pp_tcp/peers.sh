#!/bin/sh
# The PROXY protocol with real peers (issue 14), on loopback only:
#  - nginx (`listen ... proxy_protocol`, answering "$proxy_protocol_addr")
#    behind mioproxy `send: v1` and `send: v2`;
#  - haproxy (`send-proxy-v2`) in front of mioproxy `accept: v2`, which
#    sends v1 on to the same nginx: two hops;
# and each time a client bound to 127.0.0.3 must see its own address come
# back.  Skipped (exit 77) where Debian's haproxy, nginx-light (and its
# stream module, for the stream case) or curl are missing: ./dev pp-deps
# installs them.
set -u
top_builddir=${top_builddir:-.}
proxy=$top_builddir/daemon/mioproxy
stream_so=/usr/lib/nginx/modules/ngx_stream_module.so

for c in nginx curl; do
	if ! command -v "$c" >/dev/null 2>&1 &&
	    ! [ -x "/usr/sbin/$c" ]; then
		echo "SKIP: $c not installed (./dev pp-deps)"
		exit 77
	fi
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)

. "$(dirname "$0")/../peers-lib.sh"
peers_setup pp
ngx=$(free_port 1)
ngxs=$(free_port 2)
m1=$(free_port 3)
m2=$(free_port 4)
m3=$(free_port 5)
m4=$(free_port 6)
hap=$(free_port 7)

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

# nginx: one process in the foreground, everything under $dir.
stream=
if [ -e "$stream_so" ]; then
	stream="load_module $stream_so;"
fi
mkdir -p "$dir/ngx"
cat >"$dir/nginx.conf" <<EOF2
$stream
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/ngx;
	proxy_temp_path $dir/ngx;
	fastcgi_temp_path $dir/ngx;
	uwsgi_temp_path $dir/ngx;
	scgi_temp_path $dir/ngx;
	server {
		listen 127.0.0.1:$ngx proxy_protocol;
		location / { return 200 "\$proxy_protocol_addr\n"; }
	}
}
EOF2
if [ -n "$stream" ]; then
	cat >>"$dir/nginx.conf" <<EOF2
stream {
	server {
		listen 127.0.0.1:$ngxs proxy_protocol;
		return "\$proxy_protocol_addr\n";
	}
}
EOF2
fi
"$nginx" -p "$dir" -c "$dir/nginx.conf" >"$dir/nginx-out.log" 2>&1 &
pids="$pids $!"

cat >"$dir/proxy.yaml" <<EOF2
version: 1
process: { io: ${MIOPROXY_TEST_IO:-readiness} }
logging: { access: { target: $dir/access.log } }
listeners:
  - { name: v1, protocol: tcp, bind: 127.0.0.1:$m1, upstream: ngx-v1 }
  - { name: v2, protocol: tcp, bind: 127.0.0.1:$m2, upstream: ngx-v2 }
  - name: behind-haproxy
    protocol: tcp
    bind: 127.0.0.1:$m3
    upstream: ngx-v1
    proxy_protocol: { accept: v2, trusted: 127.0.0.1 }
  - { name: stream, protocol: tcp, bind: 127.0.0.1:$m4, upstream: ngxs-v2 }
upstreams:
  ngx-v1:
    servers: [ { address: 127.0.0.1:$ngx } ]
    proxy_protocol: { send: v1 }
  ngx-v2:
    servers: [ { address: 127.0.0.1:$ngx } ]
    proxy_protocol: { send: v2 }
  ngxs-v2:
    servers: [ { address: 127.0.0.1:$ngxs } ]
    proxy_protocol: { send: v2 }
EOF2
"$proxy" -c "$dir/proxy.yaml" >"$dir/proxy.log" 2>&1 &
pids="$pids $!"

wait_for 50 sh -c "ss -Hltn 'sport = :$ngx' | grep -q ." ||
    fail "nginx did not start"
wait_for 50 sh -c "ss -Hltn 'sport = :$m1' | grep -q ." ||
    fail "mioproxy did not start"

get() {
	curl -s --max-time 5 --interface 127.0.0.3 "http://127.0.0.1:$1/"
}
n=0
for port in "$m1" "$m2"; do
	got=$(get "$port")
	[ "$got" = 127.0.0.3 ] ||
	    fail "nginx behind mioproxy (port $port) saw '$got', not 127.0.0.3"
	n=$((n + 1))
done
echo "ok: nginx behind mioproxy send v1 and v2 saw 127.0.0.3"

if [ -n "$stream" ]; then
	got=$(python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.3", 0))
s.settimeout(5)
s.connect(("127.0.0.1", int(sys.argv[1])))
print(s.recv(100).decode().strip())' "$m4")
	[ "$got" = 127.0.0.3 ] ||
	    fail "nginx stream behind mioproxy saw '$got', not 127.0.0.3"
	echo "ok: nginx stream behind mioproxy send v2 saw 127.0.0.3"
else
	echo "skip: nginx's stream module not installed (libnginx-mod-stream)"
fi

if ! [ -x "$haproxy" ]; then
	echo "SKIP: haproxy not installed (./dev pp-deps); nginx passed"
	exit 0
fi
cat >"$dir/haproxy.cfg" <<EOF2
global
	log stderr format raw local0 warning
defaults
	mode tcp
	timeout connect 5s
	timeout client 5s
	timeout server 5s
frontend front
	bind 127.0.0.1:$hap
	default_backend mio
backend mio
	server mio 127.0.0.1:$m3 send-proxy-v2
EOF2
"$haproxy" -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
pids="$pids $!"
wait_for 50 sh -c "ss -Hltn 'sport = :$hap' | grep -q ." ||
    fail "haproxy did not start"
got=$(get "$hap")
[ "$got" = 127.0.0.3 ] ||
    fail "haproxy -> mioproxy accept v2 -> nginx saw '$got', not 127.0.0.3"
wait_for 50 grep -q "listener=behind-haproxy proto=tcp client=127.0.0.3:[0-9]* peer=127.0.0.1:" "$dir/access.log" ||
    fail "the access log lacks client=127.0.0.3 peer=127.0.0.1"
echo "ok: haproxy send-proxy-v2 -> mioproxy accept v2 -> nginx saw 127.0.0.3"
exit 0
