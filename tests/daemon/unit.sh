#!/bin/sh
# The systemd unit: systemd-analyze verify accepts it, with its commands
# pointing at this build's binary and configuration (verify checks that
# they exist).  The unit's hardening and notify settings are checked by
# name, so that an edit cannot drop them unnoticed.
set -u
src="${top_srcdir:-.}/conf/mioproxy.service.in"
top=$(cd "${top_builddir:-.}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mioproxy-unit.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failed=0

for want in Type=notify User=mioproxy Group=mioproxy NoNewPrivileges=yes \
    ProtectSystem=strict AmbientCapabilities=CAP_NET_BIND_SERVICE \
    LimitNOFILE= RuntimeDirectory=mioproxy 'ExecReload=.*-t -c' \
    'ExecReload=/bin/kill -HUP $MAINPID'; do
	if grep -q "^$want" "$src"; then
		echo "ok: unit has $want"
	else
		echo "FAIL: unit lacks $want"
		failed=1
	fi
done

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze is not installed: the unit is not verified"
	exit 77
fi
mkdir -p "$tmp/etc/mioproxy"
cp "${top_srcdir:-.}/conf/mioproxy.yaml" "$tmp/etc/mioproxy/"
sed -e "s|@sbindir@|$top/daemon|g" -e "s|@sysconfdir@|$tmp/etc|g" "$src" \
    >"$tmp/mioproxy.service"
if systemd-analyze verify --man=no "$tmp/mioproxy.service" \
    >"$tmp/out" 2>&1 && ! grep -q . "$tmp/out"; then
	echo "ok: systemd-analyze verify accepts the unit"
else
	echo "FAIL: systemd-analyze verify:"
	cat "$tmp/out"
	failed=1
fi
exit $failed
