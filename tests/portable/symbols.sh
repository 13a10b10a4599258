#!/bin/sh
# The build calls what configure found, and nothing it did not: for each
# Linux-only call whose HAVE_ macro config.h lacks (a system without it,
# or --disable-linux-extensions: epoll_*, eventfd, splice, the mmsg
# batches, signalfd, accept4, pipe2, the futex syscall), neither libmio
# nor mioproxy may refer to it; for each one it has, libmio (or mioproxy) must, so that this
# test can tell a working nm from an empty answer.
set -eu
b=${top_builddir:-.}
cfg=$b/config.h
lib=$b/lib/.libs/libmio.so
[ -f "$lib" ] || lib=$b/lib/.libs/libmio.a
prog=$b/daemon/.libs/mioproxy
[ -f "$prog" ] || prog=$b/daemon/mioproxy
if ! command -v nm >/dev/null 2>&1; then
	echo "symbols: no nm, skipped"
	exit 77
fi

# The undefined symbols of a binary, without their versions.
undefined() {
	{ nm -u "$1" 2>/dev/null; nm -D -u "$1" 2>/dev/null; } |
	    awk '{ sub(/@.*/, "", $NF); print $NF }' | sort -u
}
lib_u=$(undefined "$lib")
prog_u=$(undefined "$prog")
status=0

# check MACRO WHERE SYMBOL...: WHERE (lib or prog) must call the first
# symbol when config.h defines MACRO; neither may call any when not.
check() {
	macro=$1 where=$2
	shift 2
	if grep -q "^#define $macro 1" "$cfg"; then
		if [ "$where" = lib ]; then u=$lib_u; else u=$prog_u; fi
		if ! echo "$u" | grep -qx "$1"; then
			echo "symbols: $macro is defined but $where calls no $1"
			status=1
		fi
		return 0
	fi
	for sym in "$@"; do
		if echo "$lib_u" "$prog_u" | tr ' ' '\n' | grep -qx "$sym"; then
			echo "symbols: no $macro, yet $sym is called"
			status=1
		fi
	done
}
check HAVE_SPLICE lib splice
check HAVE_RECVMMSG lib recvmmsg
check HAVE_SENDMMSG lib sendmmsg
check HAVE_EPOLL_CREATE1 lib epoll_create1 epoll_ctl epoll_wait epoll_pwait
check HAVE_EVENTFD lib eventfd eventfd_read eventfd_write
check HAVE_SIGNALFD prog signalfd
# The descriptor-flag and lock fallbacks (lib/src/sys/fdflags.h, lock.h):
# accept(2)+fcntl, pipe(2)+fcntl and pthreads where these are missing.
check HAVE_ACCEPT4 lib accept4
check HAVE_PIPE2 lib pipe2
check HAVE_DECL_SYS_FUTEX lib syscall

found=$(grep -Eo '^#define HAVE_(SPLICE|RECVMMSG|SENDMMSG|EPOLL_CREATE1|EVENTFD|SIGNALFD|ACCEPT4|PIPE2|DECL_SYS_FUTEX) 1' \
    "$cfg" | awk '{ printf "%s ", $2 }')
[ $status -eq 0 ] && echo "symbols: libmio and mioproxy call exactly the" \
    "Linux extensions configure found: ${found:-none}"
exit $status
