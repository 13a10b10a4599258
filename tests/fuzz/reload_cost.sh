#!/bin/sh
# The cost of a reload, per kilobyte: writes the worst configuration files
# we know how to craft (nesting just under the depth bound, alias bombs,
# anchors, thousands of servers, listeners, binds, names, very long
# scalars), loads each with the corpus replay driver (conf_load() whole,
# as a SIGHUP does, in the build's own flags: use a build without
# sanitizers), best of three runs in one process, and prints the time in
# ms and in ms per KiB.  The issue's bound: a few ms of the event loop
# per KiB, whatever the input.
#
#   reload_cost.sh BUILDDIR [SCALE]   SCALE (default 1) multiplies counts;
#                                     RELOAD_RUNS=N: best of N runs (3)
set -eu

replay=$1/tests/fuzz/replay_conf
scale=${2:-1}
runs=${RELOAD_RUNS:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/reload_cost.XXXXXX")
trap 'rm -rf "$dir"' EXIT

up='upstreams: { u: { servers: [ { address: 127.0.0.1:2 } ] } }'

# gen NAME AWK-PROGRAM: the file $dir/NAME, from awk with n = count.
gen() {
	awk -v n="$2" "BEGIN { $3 }" >"$dir/$1"
}

gen depth-63-flow $((2000 * scale)) '
	print "version: 1"; print "x:"
	for (i = 0; i < n; i++) {
		s = "  - "; for (d = 0; d < 62; d++) s = s "["; s = s "1"
		for (d = 0; d < 62; d++) s = s "]"; print s } '
gen depth-63-block $((100 * scale)) '
	print "version: 1"
	for (i = 0; i < n; i++) { pad = ""
		for (d = 0; d < 62; d++) { print pad "k" i "_" d ":"; pad = pad " " }
		print pad "v" } '
gen alias-laughs 9 '
	print "version: 1"; print "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"
	for (i = 1; i <= n; i++) { s = "a" i ": &a" i " ["
		for (j = 0; j < 9; j++) s = s (j ? ", " : "") "*a" (i - 1)
		print s "]" }
	print "listeners: *a" n '
gen alias-listeners $((100 * scale)) '
	print "version: 1"
	print "l: &l { name: a, protocol: tcp, bind: 127.0.0.1:1, upstream: u }"
	s = "ls: &ls ["; for (i = 0; i < n; i++) s = s (i ? ", " : "") "*l"
	print s "]"; s = "listeners: ["
	for (i = 0; i < n; i++) s = s (i ? ", " : "") "*ls"; print s "]"
	print "'"$up"'" '
gen alias-binds $((300 * scale)) '
	print "version: 1"; s = "b: &b ["
	for (i = 0; i < n; i++) s = s (i ? ", " : "") "127.0." int(i / 250) "." (i % 250 + 1) ":80"
	print s "]"; print "listeners:"
	for (i = 0; i < n; i++) print "  - { name: l" i ", protocol: tcp, bind: *b, upstream: u }"
	print "'"$up"'" '
gen anchors-refused $((20000 * scale)) '
	print "version: 1"; print "x:"
	for (i = 0; i < n; i++) print "  - &a" i " " i
	print "y:"; for (i = 0; i < n; i++) print "  - *a" i '
gen anchors-256-aliases $((100000 * scale)) '
	print "version: 1"; print "x:"
	for (i = 0; i < 256; i++) print "  - &anchor_number_" i " 1"
	s = "y: ["; for (i = 0; i < n; i++) s = s (i ? "," : "") "*anchor_number_255"
	print s "]" '
gen servers $((60000 * scale > 65000 ? 65000 : 60000 * scale)) '
	print "version: 1"
	print "listeners: [ { name: a, protocol: tcp, bind: 127.0.0.1:1, upstream: u } ]"
	print "upstreams:"; print "  u:"; print "    servers:"
	for (i = 0; i < n; i++) print "      - { address: 10." int(i / 250) "." (i % 250 + 1) ".1:80 }" '
gen listeners-upstreams $((10000 * scale)) '
	print "version: 1"; print "listeners:"
	for (i = 0; i < n; i++) print "  - { name: l" i ", protocol: tcp, bind: 127.0." int(i / 250) "." (i % 250 + 1) ":80, upstream: u" (n - 1 - i) " }"
	print "upstreams:"
	for (i = 0; i < n; i++) print "  u" i ": { servers: [ { address: 127.0.0.1:2 } ] }" '
gen binds-one-listener $((30000 * scale)) '
	print "version: 1"; print "listeners:"; print "  - name: a"
	print "    protocol: tcp"; print "    upstream: u"; print "    bind:"
	for (i = 0; i < n; i++) print "      - 127." int(i / 62500) "." int(i / 250) % 250 "." (i % 250 + 1) ":80"
	print "'"$up"'" '
gen acl-names $((50000 * scale)) '
	print "version: 1"; print "acls:"
	for (i = 0; i < n; i++) print "  a" i ": {}" '
gen upstream-names $((50000 * scale)) '
	print "version: 1"; print "upstreams:"
	for (i = 0; i < n; i++) print "  u" i ": ~" '
gen cidrs $((100000 * scale)) '
	print "version: 1"; print "acls:"; print "  a:"; print "    allow:"
	for (i = 0; i < n; i++) print "      - 10." int(i / 65536) % 256 "." int(i / 256) % 256 "." i % 256 "/32" '
gen long-scalar $((1000000 * scale)) '
	s = "x"; while (length(s) < n) s = s s
	print "version: 1"; print "process: { user: \"" s "\" }" '
gen long-plain-key $((1000000 * scale)) '
	s = "k"; while (length(s) < n) s = s s; print "version: 1"; print s ": 1" '
gen errors $((100000 * scale)) '
	print "version: 1"; print "listeners:"
	for (i = 0; i < n; i++) print "  - { name: \"bad name\", protocol: x }" '
gen dup-binds $((5000 * scale)) '
	print "version: 1"; print "listeners:"
	for (i = 0; i < n; i++) print "  - { name: l" i ", protocol: tcp, bind: 127.0.0.1:80, upstream: u }"
	print "'"$up"'" '

printf '%-22s %10s %10s %10s\n' input bytes ms ms/KiB
for f in "$dir"/*; do
	best=$("$replay" -t -r "$runs" "$f" |
	    sed -n 's/^slowest: .* \([0-9.]*\) ms$/\1/p')
	bytes=$(wc -c <"$f")
	printf '%-22s %10d %10.1f %10.3f\n' "$(basename "$f")" "$bytes" "$best" \
	    "$(echo "$best $bytes" | awk '{ print $1 / ($2 / 1024) }')"
done
