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
[ $status -eq 0 ] && echo "layout: no function over $max lines, no include cycle"
exit $status
