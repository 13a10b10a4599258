#!/bin/sh
# The plan of the code, checked: no function over 80 lines in lib/ or
# daemon/ (functions start with their name at column 0, OpenBSD KNF, and
# end with "}" at column 0), and no include cycle between the daemon's
# files.  Prints what it finds; exit status 1 on a breach.
set -eu
top=${srcdir:-.}
max=80
status=0

long=$(find "$top/lib" "$top/daemon" -name '*.c' | sort | xargs awk -v max=$max '
/^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); start = FNR; infn = 1 }
infn && /^}/ {
	if (FNR - start + 1 > max)
		printf "%s: %s: %d lines\n", FILENAME, name, FNR - start + 1
	infn = 0
}')
if [ -n "$long" ]; then
	echo "layout: functions over $max lines:"
	echo "$long"
	status=1
fi

# The daemon's include graph: "x.h" names resolve from the including
# file's folder, then from daemon/.  A depth-first walk finds any cycle.
cycles=$(cd "$top/daemon" && find . -name '*.[ch]' | sed 's|^\./||' | sort |
    xargs awk '
FNR == 1 { files[FILENAME] = 1 }
/^#include "/ {
	inc = $2; gsub(/"/, "", inc)
	dir = FILENAME; if (!sub(/\/[^\/]*$/, "", dir)) dir = ""
	edge[FILENAME, ++n[FILENAME]] = (dir != "" ? dir "/" : "") inc
	alt[FILENAME, n[FILENAME]] = inc
}
function visit(f, path,    i, t) {
	if (state[f] == 1) { print "cycle: " path " -> " f; bad = 1; return }
	if (state[f] == 2) return
	state[f] = 1
	for (i = 1; i <= n[f]; i++) {
		t = edge[f, i]
		if (!(t in files)) t = alt[f, i]
		if (t in files) visit(t, path " -> " f)
	}
	state[f] = 2
}
END { for (f in files) visit(f, ""); exit bad }' || true)
if [ -n "$cycles" ]; then
	echo "layout: include cycles in daemon/:"
	echo "$cycles"
	status=1
fi
# The layers: each folder's files include only their own folder's and
# the layers below (process -> relay, ops -> upstream -> model (the
# records that outlive generations) -> conf, and the foundation: timer,
# log, addr, fnv, proxyproto, libmio).
layer() {
	dir=$1 allowed=$2
	bad=$(cd "$top/daemon" && grep -H '^#include "' $dir 2>/dev/null |
	    grep -v '"config.h"' | grep -Ev "\"($allowed)\"" || true)
	if [ -n "$bad" ]; then
		echo "layout: $dir reaches above its layer:"
		echo "$bad"
		status=1
	fi
}
found='timer\.h|log\.h|addr\.h|fnv\.h'
layer "timer.[ch] log.[ch] addr.h fnv.h" "$found"
layer "proxyproto/*.[ch]" "proxyproto/[a-z_]+\.h|$found"
layer "conf/*.[ch]" "conf/[a-z_]+\.h|$found"
layer "model/*.[ch]" "model/[a-z_]+\.h|$found"
layer "upstream/*.[ch]" "upstream/[a-z_]+\.h|proxyproto/pp\.h|model/keep\.h|conf/conf\.h|$found"
layer "ops/*.[ch]" "ops/[a-z_]+\.h|model/keep\.h|conf/conf\.h|loop\.h|$found"
layer "relay/*.[ch]" "relay/[a-z_]+\.h|proxyproto/pp\.h|upstream/upstream\.h|model/keep\.h|ops/access\.h|conf/conf\.h|loop\.h|$found"

[ $status -eq 0 ] && echo "layout: no function over $max lines, no include cycle, every folder in its layer"
exit $status
