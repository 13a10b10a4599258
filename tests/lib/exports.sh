#!/bin/sh
# libmio exports mio_* and nothing else: no internal mio__ name, no
# helper without the prefix.  Reads the dynamic symbol table of the
# shared library this build made.
set -eu
so="${top_builddir:-.}/lib/.libs/libmio.so"
if [ ! -f "$so" ]; then
	echo "no shared library at $so (static-only build?)"
	exit 77
fi
syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRV]$/ { print $3 }' |
    sed 's/@.*//' | sort -u)
bad=$(printf '%s\n' "$syms" | grep -v '^mio_[a-z]' || true)
internal=$(printf '%s\n' "$syms" | grep '^mio__' || true)
if [ -n "$bad$internal" ]; then
	echo "unexpected exports:"
	printf '%s\n' "$bad" "$internal"
	exit 1
fi
for want in mio_poll_new mio_poll_wait mio_poll_short_io_drains \
    mio_register mio_waker_wake mio_read mio_version mio_addr_equal \
    mio_addr_cmp mio_sendmmsg mio_recvmmsg \
    mio_ring_new mio_ring_complete; do
	printf '%s\n' "$syms" | grep -qx "$want" || {
		echo "missing export: $want"
		exit 1
	}
done
echo "exports ok: $(printf '%s\n' "$syms" | wc -l) mio_* symbols"
