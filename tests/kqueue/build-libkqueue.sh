#!/bin/sh
# Build libkqueue (a user-space kqueue on Linux, see ../shared/third_party/
# README.md) into PREFIX, which must lie outside the work tree: nothing of it
# is ever committed. Usage: tests/kqueue/build-libkqueue.sh PREFIX
set -eu
prefix=${1:?usage: $0 PREFIX}
here=$(cd "$(dirname "$0")/../.." && pwd)
tarball=${LIBKQUEUE_TARBALL:-$here/../shared/third_party/libkqueue-2.7.0.tar.gz}
[ -f "$tarball" ] || { echo "build-libkqueue: no $tarball" >&2; exit 1; }
if ! command -v cmake >/dev/null 2>&1; then
	echo "build-libkqueue: installing cmake with apt-get" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake >/dev/null
fi
[ -f "$prefix/lib/pkgconfig/libkqueue.pc" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xzf "$tarball" -C "$tmp"
cmake -S "$tmp/libkqueue-2.7.0" -B "$tmp/build" \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
make -C "$tmp/build" -j2 >/dev/null
make -C "$tmp/build" install >/dev/null
