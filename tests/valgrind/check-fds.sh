#!/bin/sh
# No descriptor leaked: runs each libmio suite given (from the build
# directory, on the backend MIO_BACKEND names) in one process
# (CK_FORK=no) under valgrind --track-fds=yes, and fails if any
# descriptor that the process opened itself is still open at its exit:
# a poll, a waker, a socket, a pipe or (on libkqueue) a write filter's
# twin that a free or close forgot.  Descriptors inherited from the
# parent (make's, the shell's) do not count.
# Usage: check-fds.sh SUITE...  (./dev valgrind-kqueue runs it).
status=0
for suite in "$@"; do
	log=$suite-${MIO_BACKEND:-default}.fds
	printf 'valgrind --track-fds %s (%s): ' "$suite" \
	    "${MIO_BACKEND:-default}"
	if ! CK_FORK=no ./libtool --mode=execute valgrind --track-fds=yes \
	    --log-file="$log" "./$suite" >"$log.out" 2>&1 ||
	    grep -q '^not ok' "$log.out"; then
		echo "FAILED (the suite failed, see $log.out)"
		status=1
		continue
	fi
	if ! grep -q 'FILE DESCRIPTORS:' "$log"; then
		echo "FAILED (no descriptor report in $log)"
		status=1
		continue
	fi
	# Each open descriptor is a block from "Open ... N:" to the next
	# blank line; inherited ones say so in theirs.
	leaked=$(awk '
	/Open .*[0-9]+:/ { blk = $0; inh = 0; inb = 1; next }
	inb && /inherited from parent/ { inh = 1 }
	inb && /^==[0-9]+== *$/ { if (!inh) print blk; inb = 0 }
	END { if (inb && !inh) print blk }' "$log")
	if [ -n "$leaked" ]; then
		echo "FAILED (descriptors left open, see $log):"
		echo "$leaked"
		status=1
	else
		echo clean
	fi
done
exit $status
