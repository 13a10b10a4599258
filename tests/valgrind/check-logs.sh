#!/bin/sh
# Fails if any valgrind log given (one per daemon process, written with
# -q so that a clean run leaves it empty) holds an error or a leak.
status=0
for f in "$@"; do
	[ -e "$f" ] || { echo "no valgrind log: $f"; status=1; continue; }
	if [ -s "$f" ]; then
		echo "valgrind reported in $f:"
		head -40 "$f"
		status=1
	fi
done
exit $status
