#!/bin/sh
# make fuzz: runs each libFuzzer target for FUZZ_SECONDS on a copy of its
# seed corpus, in a temporary directory (the source tree is written only
# with FUZZ_MERGE=1, which merges the inputs that found new coverage back
# into tests/fuzz/corpus/T).  Prints, per target, the executions, the
# coverage (cov: edges, ft: features), the corpus, and the slowest input
# (libFuzzer's own report past 1 s under the sanitizers, then the whole
# corpus timed without them by the replay driver, in ms and ms per KiB).
# Fails if a target found a crash, a leak or a timeout (FUZZ_TIMEOUT
# seconds for one input); the input is kept in BUILD/tests/fuzz/artifacts/.
#
#   run.sh SRCDIR BUILDDIR TARGET...   (SRCDIR, BUILDDIR: their tests/fuzz)
set -u

src=$1
build=$2
shift 2
seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-10}
merge=${FUZZ_MERGE:-}
status=0

for t in "$@"; do
	fuzzer=$build/fuzz_$t
	work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz_$t.XXXXXX") || exit 1
	mkdir "$work/corpus"
	cp "$src/corpus/$t/"* "$work/corpus/"
	before=$(ls "$work/corpus" | wc -l)
	arts=$build/artifacts/$t
	mkdir -p "$arts"
	dict=
	[ -f "$src/$t.dict" ] && dict="-dict=$src/$t.dict"
	echo "fuzz_$t: $seconds s on $before seed inputs (log: $work/log)"
	# shellcheck disable=SC2086
	"$fuzzer" -max_total_time="$seconds" -timeout="$timeout" \
	    -report_slow_units=1 -print_final_stats=1 $dict \
	    -artifact_prefix="$arts/" "$work/corpus" >"$work/log" 2>&1
	rc=$?
	last=$(grep -E '^#[0-9]+.*cov:' "$work/log" | tail -n1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/log")
	cov=$(echo "$last" | sed -n 's/.*\(cov: [0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*\(ft: [0-9]*\).*/\1/p')
	after=$(ls "$work/corpus" | wc -l)
	kb=$(du -sk "$work/corpus" | cut -f1)
	echo "fuzz_$t: ${runs:-?} executions, ${rate:-?} exec/s, $cov $ft," \
	    "corpus $before -> $after inputs ($kb KiB), peak rss ${rss:-?} MB"
	grep -E '^Slowest unit:' "$work/log" | tail -n1 |
	    sed "s/^/fuzz_$t: libFuzzer (sanitized) /"
	"$build/replay_$t" -t "$work/corpus" | sed "s|$work/corpus/||g; s/^/fuzz_$t: /"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz_$t: FAILED (exit $rc): the end of its log:"
		tail -n 40 "$work/log"
		echo "fuzz_$t: inputs kept in $arts:"
		ls -l "$arts"
		status=1
	elif [ "$merge" = 1 ]; then
		"$fuzzer" -merge=1 "$src/corpus/$t" "$work/corpus" \
		    >"$work/merge.log" 2>&1 &&
		    echo "fuzz_$t: merged into $src/corpus/$t:" \
		    "$(ls "$src/corpus/$t" | wc -l) inputs"
	fi
	[ "$rc" -eq 0 ] && rm -rf "$work"
done
exit $status
