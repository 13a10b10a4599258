#!/bin/sh
# mioproxy's command line (CONFIG.md): -V, -h, usage errors, exit
# statuses, and -t on valid and invalid files.  Runs the built binary.

bin="${top_builddir:-.}/daemon/mioproxy"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mioproxy-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failed=0

# run ARGS...: runs mioproxy; sets $status, $tmp/out and $tmp/err.
run() {
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}

# check DESCRIPTION TEST...: evaluates TEST, reports, counts failures.
check() {
	desc=$1
	shift
	if "$@"; then
		echo "ok: $desc"
	else
		echo "FAIL: $desc (status $status)"
		sed 's/^/  stdout: /' "$tmp/out"
		sed 's/^/  stderr: /' "$tmp/err"
		failed=1
	fi
}

# is FILE TEXT: the file holds exactly TEXT (and a final newline).
is() {
	printf '%s\n' "$2" >"$tmp/want"
	cmp -s "$1" "$tmp/want"
}

cat >"$tmp/good.yaml" <<'YAML'
version: 1
listeners:
  - name: web
    protocol: tcp
    bind: [ 127.0.0.1:8080, "[::1]:8080" ]
    upstream: web
upstreams:
  web:
    servers: [ { address: 127.0.0.1:8081 } ]
YAML

cat >"$tmp/bad.yaml" <<'YAML'
version: 1
listeners:
  - name: web
    protocol: tcp
    bind: 127.0.0.1:8080
    upstream: wbe
    timeouts: { idle: 5 }
upstreams:
  web:
    servers: [ { address: 127.0.0.1:8081 } ]
YAML

run -V
check "-V prints the versions" \
    test $status -eq 0 -a ! -s "$tmp/err"
check "-V text" is "$tmp/out" "mioproxy 0.1.0 (libmio 0.1.0)"

run -h
check "-h exits 0 with the usage on stdout" \
    test $status -eq 0 -a ! -s "$tmp/err"
check "-h usage" grep -q '^usage: mioproxy \[-c FILE\] \[-t\] \[-l LEVEL\] \[-V\] \[-h\]$' "$tmp/out"

run -x
check "an unknown option exits 1" test $status -eq 1 -a ! -s "$tmp/out"
check "an unknown option prints the usage on stderr" \
    grep -q '^usage: mioproxy' "$tmp/err"

run -c
check "-c without a value exits 1" test $status -eq 1
run -t -c "$tmp/good.yaml" extra
check "an operand exits 1" test $status -eq 1
run -t -l loud -c "$tmp/good.yaml"
check "an unknown log level exits 1" test $status -eq 1
check "an unknown log level is named" grep -q 'unknown log level "loud"' "$tmp/err"

run -t -c "$tmp/good.yaml"
check "-t on a valid file exits 0" test $status -eq 0 -a ! -s "$tmp/err"
check "-t on a valid file says so" is "$tmp/out" "configuration ok"
run -t -l debug -c "$tmp/good.yaml"
check "-t -l debug on a valid file exits 0" test $status -eq 0

run -t -c "$tmp/bad.yaml"
check "-t on an invalid file exits 1" test $status -eq 1 -a ! -s "$tmp/out"
check "-t prints every error" is "$tmp/err" \
"$tmp/bad.yaml:6:15: listeners[0].upstream: no upstream named \"wbe\"
$tmp/bad.yaml:7:23: listeners[0].timeouts.idle: bad duration \"5\": missing unit (ms, s, m or h)"

run -t -c "$tmp/none.yaml"
check "-t on a missing file exits 1" test $status -eq 1
check "-t on a missing file says why" is "$tmp/err" \
    "$tmp/none.yaml: cannot open: No such file or directory"

# A valid file whose bind fails: could not start, exit 2, and why.
cat >"$tmp/nobind.yaml" <<YAML
version: 1
listeners:
  - { name: web, protocol: tcp, bind: "unix:$tmp/no/such/dir/sock", upstream: u }
upstreams:
  u: { servers: [ { address: 127.0.0.1:9 } ] }
YAML
run -c "$tmp/nobind.yaml"
check "a failed bind exits 2" test $status -eq 2
check "a failed bind says which and why" \
    grep -q "error: listener web: bind unix:$tmp/no/such/dir/sock: No such file or directory" "$tmp/err"
run -c "$tmp/bad.yaml"
check "an invalid file without -t exits 1" test $status -eq 1

exit $failed
