#!/bin/bash
# Regenerate docs/images/ui-*.png: a private dbus-daemon, the stand-in services,
# and cairn-ui offscreen at 1024x768 (every screen) and 1920x1080 (home).
# Usage: make-screenshots.sh BUILD_DIR OUT_DIR
set -euo pipefail

build=${1:?usage: make-screenshots.sh BUILD_DIR OUT_DIR}
out=${2:?usage: make-screenshots.sh BUILD_DIR OUT_DIR}
src=$(cd "$(dirname "$0")" && pwd)
ui=$build/uivm/cairn-ui/cairn-ui
standin=$build/uivm/cairn-ui/ui-standin
tmp=$(mktemp -d /tmp/cairn-ui-shots.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$out"
cat >"$tmp/bus.conf" <<CONF
<busconfig>
  <type>session</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
CONF
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nosyslog 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -S "$tmp/bus" ] && break; sleep 0.05; done
"$standin" --bus "unix:path=$tmp/bus" --ready "$tmp/ready" &
pids+=($!)
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.05; done

run() {
	local size=$1 script=$2
	"$ui" --offscreen "$size" --bus "unix:path=$tmp/bus" --hwcheck "$src/hwcheck-sample.json" \
		--script "$script" --log-level warning
}

cat >"$tmp/s1" <<S
wait-connected
wait-network
screenshot $out/ui-home.png
key Right
key Right
key Return
screenshot $out/ui-detail.png
key Escape
key Up
key Left
key Return
screenshot $out/ui-network.png
key Right
key Return
screenshot $out/ui-about.png
S
run 1024x768 "$tmp/s1"

cat >"$tmp/s2" <<S
wait-connected
key Right
screenshot $out/ui-home-1920x1080.png
S
run 1920x1080 "$tmp/s2"

# The VM manager goes away: the banner, and actions greyed out.
cat >"$tmp/s3" <<S
wait-connected
key Down
key Return
wait-disconnected
screenshot $out/ui-reconnecting.png
S
run 1024x768 "$tmp/s3" &
uipid=$!
sleep 1
kill "${pids[1]}"
wait "$uipid"
ls -l "$out"/ui-*.png
