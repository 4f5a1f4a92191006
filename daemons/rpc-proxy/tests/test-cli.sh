#!/usr/bin/env bash
# cairn-rpc-proxy's command line: --help, --check-rules (what vmd -n is for vmd),
# and refused arguments.  Usage: test-cli.sh PROXY SRCDIR
set -euo pipefail
PROXY=$1
SRC=$2
W=$(mktemp -d /tmp/cairn-rpc-cli.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$PROXY" --help >"$W/out"
grep -q -- '--check-rules FILE' "$W/out" || fail "--help does not mention --check-rules"
"$PROXY" --version | grep -q '^cairn-rpc-proxy ' || fail "--version"

# the shipped rules are good
"$PROXY" --check-rules "$SRC/rpc-proxy.rules" 2>"$W/err" || fail "shipped rules refused: $(cat "$W/err")"
grep -q 'rpc-proxy.rules: 8 rules, OK' "$W/err" || fail "unexpected --check-rules output: $(cat "$W/err")"
# -v prints them in canonical form, which checks again
"$PROXY" --check-rules "$SRC/rpc-proxy.rules" -v 2>/dev/null >"$W/canon.rules"
[ "$(wc -l <"$W/canon.rules")" -eq 8 ] || fail "-v printed $(wc -l <"$W/canon.rules") lines"
"$PROXY" --check-rules "$W/canon.rules" 2>/dev/null || fail "canonical form refused"

# a bad file: exit 1, FILE:LINE: message on stderr
printf 'allow uivm call destination=a.b interface=* member=*\nallow uivm call destination=a.b interface=* member=* colour=red\n' >"$W/bad.rules"
if "$PROXY" --check-rules "$W/bad.rules" 2>"$W/err"; then fail "bad rules accepted"; fi
[ "$(cat "$W/err")" = "$W/bad.rules:2: unknown key 'colour' in a call rule (expected destination, interface, member, path, via)" ] ||
	fail "unexpected error: $(cat "$W/err")"
if "$PROXY" --check-rules "$W/missing.rules" 2>"$W/err"; then fail "missing file accepted"; fi
grep -q "missing.rules: cannot read: No such file or directory" "$W/err" || fail "missing file: $(cat "$W/err")"

# refused arguments
expect_refused() {
	local want=$1
	shift
	if "$PROXY" "$@" 2>"$W/err"; then fail "accepted: $*"; fi
	grep -q -- "$want" "$W/err" || fail "$*: expected '$want', got: $(cat "$W/err")"
}
expect_refused 'Missing verb'
expect_refused 'Unknown verb "dom1"' dom1
expect_refused 'needs --domain NAME' dom0 --transport "unix:$W/x" --rules "$SRC/rpc-proxy.rules"
expect_refused 'Invalid domain name "UIVM"' dom0 --domain UIVM
expect_refused 'Unknown transport "tcp:1"' guest --transport tcp:1
expect_refused 'Invalid timeout' guest --timeout x
# the dom0 end refuses to start on a bad rules file, naming file and line
expect_refused "bad.rules:2: unknown key 'colour'" dom0 --rules "$W/bad.rules" --transport "unix:$W/x" --domain uivm
echo "test-cli: all checks passed"
