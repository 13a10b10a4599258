#!/bin/sh
# bench/libmio/run.sh: libmio's event-loop overhead against a hand-written
# edge-triggered epoll loop, libev, libevent and libuv (docs: BENCH.md,
# "Event libraries" and the "libmio event-loop overhead" target).
#
#   bench/libmio/run.sh [--build DIR] [--quick] [--rounds N]
#
#   --build DIR   the configured build tree holding lib/.libs/libmio.so
#                 (default: $top/build); build it first with
#                 `make -C DIR lib/libmio.la`
#   --quick       fewer round trips (well under a minute)
#   --rounds N    round trips counted under callgrind (default 20000)
#
# Every contender runs the same 64-byte ping-pong over one socketpair in
# one thread and one loop, with the same syscalls per round trip (see
# pingpong.h; the strace column checks it when strace is installed).
#
# Instructions: user-space instructions per round trip, counted by
# callgrind (exact and repeatable, unlike time).  Each program runs
# twice under callgrind, with W and W + N round trips, and the figure is
# (Ir(W + N) - Ir(W)) / N: process start-up, dynamic linking, lazy PLT
# binding, the loop's creation and teardown are identical in both runs
# and cancel, and the W warm-up round trips keep first-call costs (lazy
# binding of read/write/epoll_wait) out of the difference.  What is left
# is the steady-state cost of N round trips: loop, library and libc
# wrappers.  Kernel time is not counted (callgrind sees user space only),
# which is the point: the kernel's work is the same for every contender.
#
# Wall time: ns per round trip, best of 3 runs of 200,000 round trips
# (20,000 with --quick) without valgrind, contenders alternating.  The
# machines are shared and noisy, and the kernel dominates: read the
# instruction ratios first.
#
# Output: a markdown table, then the same figures as one JSON object on
# a line of its own (the last line).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$top/build
rounds=20000
warm=1000
wall_rounds=200000
reps=3

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--build=*) build=${1#--build=}; shift ;;
	--quick) rounds=5000; warm=500; wall_rounds=20000; shift ;;
	--rounds) rounds=$2; shift 2 ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
done
build=$(cd "$build" 2>/dev/null && pwd) || build=$build

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mio-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
CC=${CC:-cc}
CFLAGS_BENCH="-O2 -I$here"

skipped=""
skip() {	# name reason
	echo "skip $1: $2" >&2
	skipped="$skipped$1	$2
"
}

# build NAME SOURCE EXTRA-ARGS...: compiles or reports why not.
build() {
	name=$1 src=$2
	shift 2
	if $CC $CFLAGS_BENCH -o "$tmp/pp_$name" "$here/$src" "$@" \
	    2>"$tmp/$name.cc.log"; then
		return 0
	fi
	skip "$name" "does not build: $(grep -m1 -i 'error' "$tmp/$name.cc.log" ||
	    head -n1 "$tmp/$name.cc.log")"
	return 1
}

# contenders: "label binary MIO_BACKEND-value", in table order
contenders=""
add() { contenders="$contenders$1 $2 ${3:--}
"; }

build epoll pingpong_epoll.c && add epoll epoll

mio_lib=""
if [ -f "$build/lib/.libs/libmio.so" ]; then
	mio_lib="$build/lib/.libs/libmio.so -Wl,-rpath,$build/lib/.libs"
elif [ -f "$build/lib/.libs/libmio.a" ]; then
	mio_lib="$build/lib/.libs/libmio.a -lpthread"
fi
if [ -z "$mio_lib" ]; then
	skip libmio "no lib/.libs/libmio.so in $build (make -C $build lib/libmio.la)"
elif build mio pingpong_mio.c -I"$top/lib/include" $mio_lib; then
	add mio-epoll mio epoll
	add mio-poll mio poll
	# Built with --with-kqueue: on Linux that is libkqueue, an emulation
	# in user space over epoll, so its row is for the record only.
	if grep -q '^#define HAVE_KQUEUE' "$build/config.h" 2>/dev/null; then
		add mio-kqueue mio kqueue
	fi
fi

if [ -f /usr/include/ev.h ] || [ -f /usr/local/include/ev.h ]; then
	build libev pingpong_libev.c -lev && add libev libev
else
	skip libev "ev.h not found (Debian: libev-dev)"
fi
if pkg-config --exists libevent 2>/dev/null; then
	# shellcheck disable=SC2046
	build libevent pingpong_libevent.c $(pkg-config --cflags --libs libevent) &&
	    add libevent libevent
else
	skip libevent "pkg-config libevent failed (Debian: libevent-dev)"
fi
if pkg-config --exists libuv 2>/dev/null; then
	# shellcheck disable=SC2046
	build libuv pingpong_libuv.c $(pkg-config --cflags --libs libuv) &&
	    add libuv libuv
else
	skip libuv "pkg-config libuv failed (Debian: libuv1-dev)"
fi

# runbin LABEL BIN BACKEND ROUNDS [WRAPPER...]: one run of a contender.
runbin() {
	bin=$2 be=$3 n=$4
	shift 4
	if [ "$be" = - ]; then
		"$@" "$tmp/pp_$bin" "$n"
	else
		MIO_BACKEND=$be "$@" "$tmp/pp_$bin" "$n"
	fi
}

have_valgrind=0
if command -v valgrind >/dev/null 2>&1; then
	have_valgrind=1
else
	skip instructions "valgrind not installed (Debian: valgrind)"
fi
have_strace=0
command -v strace >/dev/null 2>&1 && have_strace=1

# Ir total of one callgrind run.
irs() {	# label bin backend rounds
	out="$tmp/cg.$1.$4"
	runbin "$1" "$2" "$3" "$4" valgrind --tool=callgrind \
	    --callgrind-out-file="$out" >/dev/null 2>"$tmp/cg.$1.$4.log" ||
	    { echo "callgrind run of $1 failed:" >&2;
	      tail -n 5 "$tmp/cg.$1.$4.log" >&2; echo 0; return; }
	awk '/^(summary|totals):/ { print $2; exit }' "$out"
}
# Syscalls of one run (all of them, counted by strace -c).
sys_total() {	# label bin backend rounds
	out="$tmp/st.$1.$4"
	runbin "$1" "$2" "$3" "$4" strace -f -qq -c -o "$out" >/dev/null 2>&1 ||
	    { echo 0; return; }
	awk '$NF == "total" { print $(NF-2) ~ /^[0-9]+$/ ? $(NF-2) : $4; exit }' "$out"
}

results="$tmp/results"
: >"$results"
echo "$contenders" | while read -r label bin be; do
	[ -n "$label" ] || continue
	ipr=""
	if [ $have_valgrind = 1 ]; then
		a=$(irs "$label" "$bin" "$be" "$warm")
		b=$(irs "$label" "$bin" "$be" $((warm + rounds)))
		ipr=$(awk -v a="$a" -v b="$b" -v n="$rounds" \
		    'BEGIN { if (a > 0 && b > 0) printf "%.1f", (b - a) / n }')
	fi
	spr=""
	if [ $have_strace = 1 ]; then
		a=$(sys_total "$label" "$bin" "$be" 100)
		b=$(sys_total "$label" "$bin" "$be" 1100)
		spr=$(awk -v a="$a" -v b="$b" \
		    'BEGIN { if (a > 0 && b > 0) printf "%.2f", (b - a) / 1000 }')
	fi
	echo "$label ${ipr:--} ${spr:--}" >>"$results"
done

# Wall time: best of $reps, contenders alternating within each repetition.
walls="$tmp/walls"
: >"$walls"
rep=0
while [ $rep -lt $reps ]; do
	echo "$contenders" | while read -r label bin be; do
		[ -n "$label" ] || continue
		line=$(runbin "$label" "$bin" "$be" "$wall_rounds") || line=""
		ns=$(echo "$line" | sed -n 's/.*ns_per_rt=\([0-9.]*\).*/\1/p')
		[ -n "$ns" ] && echo "$label $ns" >>"$walls"
	done
	rep=$((rep + 1))
done

awk -v rounds="$rounds" -v wall_rounds="$wall_rounds" -v reps="$reps" \
    -v skipped="$skipped" '
FNR == NR {
	if (!($1 in best) || $2 + 0 < best[$1] + 0)
		best[$1] = $2 + 0
	next
}
{ order[++n] = $1; ipr[$1] = $2; spr[$1] = $3 }
END {
	base = ipr["epoll"]
	printf "| contender | instructions / round trip | ratio to raw epoll | syscalls / round trip | wall ns / round trip |\n"
	printf "| --- | ---: | ---: | ---: | ---: |\n"
	for (i = 1; i <= n; i++) {
		c = order[i]
		ratio[c] = (ipr[c] != "-" && base != "-" && base > 0) ? sprintf("%.2f", ipr[c] / base) : "-"
		w = (c in best) ? sprintf("%.0f", best[c]) : "-"
		printf "| %s | %s | %s | %s | %s |\n", c, ipr[c], ratio[c], spr[c], w
	}
	printf "\n%d round trips under callgrind (difference of two runs), wall time best of %d x %d round trips.\n", rounds, reps, wall_rounds
	# Target: mio <= 1.2 x raw epoll on epoll, and below every other library on every backend.
	verdict = ""
	for (i = 1; i <= n; i++) {
		c = order[i]
		if (c !~ /^mio-/ || ipr[c] == "-")
			continue
		ok = 1
		if (c == "mio-epoll" && !(ratio[c] != "-" && ratio[c] + 0 <= 1.2))
			ok = 0
		for (j = 1; j <= n; j++) {
			o = order[j]
			if (o ~ /^lib/ && ipr[o] != "-" && !(ipr[c] + 0 < ipr[o] + 0))
				ok = 0
		}
		sep = (verdict == "") ? "" : ", "
		verdict = verdict sep "\"" c "\": " (ok ? "true" : "false")
		printf "target (%s): %s\n", c, ok ? "met" : "NOT met"
	}
	ns = split(skipped, sk, "\n")
	for (i = 1; i <= ns; i++)
		if (sk[i] != "") {
			split(sk[i], kv, "\t")
			printf "skipped %s: %s\n", kv[1], kv[2]
		}
	printf "\n{\"benchmark\": \"libmio-pingpong\", \"message_bytes\": 64, \"callgrind_round_trips\": %d, \"wall_round_trips\": %d, \"wall_repetitions\": %d, \"contenders\": {", rounds, wall_rounds, reps
	for (i = 1; i <= n; i++) {
		c = order[i]
		printf "%s\"%s\": {\"instructions_per_rt\": %s, \"ratio_to_epoll\": %s, \"syscalls_per_rt\": %s, \"wall_ns_per_rt\": %s}", (i > 1) ? ", " : "", c,
		    ipr[c] == "-" ? "null" : ipr[c], ratio[c] == "-" ? "null" : ratio[c],
		    spr[c] == "-" ? "null" : spr[c], (c in best) ? sprintf("%.1f", best[c]) : "null"
	}
	printf "}, \"target_met\": {%s}, \"skipped\": {", verdict
	k = 0
	for (i = 1; i <= ns; i++)
		if (sk[i] != "") {
			split(sk[i], kv, "\t")
			gsub(/["\\]/, "", kv[2])
			printf "%s\"%s\": \"%s\"", (k++ > 0) ? ", " : "", kv[1], kv[2]
		}
	printf "}}\n"
}' "$walls" "$results"
