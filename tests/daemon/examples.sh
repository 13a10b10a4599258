#!/bin/sh
# The configurations shipped in conf/ must pass mioproxy -t.

bin="${top_builddir:-.}/daemon/mioproxy"
srcdir="${top_srcdir:-.}"
failed=0

for f in "$srcdir/conf/mioproxy.yaml" "$srcdir/conf/demo.yaml" \
    "$srcdir/conf/production.yaml"; do
	if out=$("$bin" -t -c "$f") && test "$out" = "configuration ok"; then
		echo "ok: $f"
	else
		echo "FAIL: $f"
		failed=1
	fi
done
exit $failed
