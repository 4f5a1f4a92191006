#!/bin/bash
# golden.sh CAIRN-VMD DEFS-DIR: `cairn-vmd -n foo.vm` must print foo.ok on stdout
# (valid definitions) or foo.err on stderr (invalid ones), byte for byte.
set -euo pipefail
vmd=$(realpath "$1")
cd "$2"
fail=0
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for vm in *.vm; do
	base=${vm%.vm}
	n=$((n + 1))
	rc=0
	"$vmd" -n "$vm" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ -e "$base.ok" ]; then
		if [ "$rc" -ne 0 ] || ! diff -u "$base.ok" "$tmp/out" || [ -s "$tmp/err" ]; then
			echo "FAIL: $vm (exit $rc) should be valid"; cat "$tmp/err"; fail=1
		fi
	elif [ -e "$base.err" ]; then
		if [ "$rc" -ne 1 ] || ! diff -u "$base.err" "$tmp/err" || [ -s "$tmp/out" ]; then
			echo "FAIL: $vm (exit $rc) should be rejected"; fail=1
		fi
	else
		echo "FAIL: $vm has neither $base.ok nor $base.err"; fail=1
	fi
done
[ "$n" -gt 0 ] || { echo "no definitions in $2"; exit 1; }
echo "$n definitions checked"
exit "$fail"
