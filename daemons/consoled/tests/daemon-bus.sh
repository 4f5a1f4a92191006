#!/bin/bash
# cairn-consoled itself on a private dbus-daemon, without Xen and on SDL's dummy
# video driver: the bus API answers, Lock works with a passphrase file and is
# refused without one, the idle lock fires, the idle daemon uses no CPU (no busy
# loop), and without a display it still serves the bus.
# Usage: daemon-bus.sh CAIRN-CONSOLED
set -euo pipefail

consoled=$1
for tool in dbus-daemon dbus-send openssl; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/test-consoled-daemon-XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$tmp/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
CONF
dbus-daemon --config-file "$tmp/bus.conf" --nofork --nopidfile 2>/dev/null &
pids+=($!)
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/bus"
for _ in $(seq 50); do [ -S "$tmp/bus" ] && break; sleep 0.1; done

fail() {
	echo "FAIL: $*"
	echo "--- consoled log:"
	cat "$tmp/log" || true
	exit 1
}

call() {
	dbus-send --system --print-reply --dest=org.cairn.Console1 /org/cairn/Console1 "$@" 2>&1
}

start() {
	"$consoled" --no-xen --video-driver dummy --passphrase-file "$@" >"$tmp/log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 50); do
		call org.freedesktop.DBus.Peer.Ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "cairn-consoled did not come up on the bus"
}

stop() {
	kill "$pid"
	wait "$pid" || fail "cairn-consoled exited with $? on SIGTERM"
}

# Without a passphrase file: Lock refused, with a reason.
start "$tmp/none"
out=$(call org.cairn.Console1.ListSurfaces)
grep -q 'array \[' <<<"$out" || fail "ListSurfaces: $out"
out=$(call org.cairn.Console1.Lock) && fail "Lock succeeded without a passphrase: $out"
grep -q 'org.cairn.Error.NoPassphrase' <<<"$out" || fail "Lock: $out"
grep -q 'No lock passphrase' "$tmp/log" || fail "no warning about the missing passphrase"
stop

# With one: Lock, Locked is true, Focus is refused for an unknown VM.
openssl passwd -6 -salt cairnsal 'right one' >"$tmp/hash"
start "$tmp/hash"
out=$(call org.freedesktop.DBus.Properties.Get string:org.cairn.Console1 string:Locked)
grep -q 'boolean false' <<<"$out" || fail "Locked before Lock: $out"
call org.cairn.Console1.Lock >/dev/null || fail "Lock failed"
out=$(call org.freedesktop.DBus.Properties.Get string:org.cairn.Console1 string:Locked)
grep -q 'boolean true' <<<"$out" || fail "Locked after Lock: $out"
out=$(call org.cairn.Console1.Focus string:nosuchvm) && fail "Focus of an unknown VM succeeded"
grep -q 'org.cairn.Error.NoSuchVM' <<<"$out" || fail "Focus: $out"

# Idle: no CPU time in 3 s (a busy loop would use ~300 ticks).
read -r -a st <"/proc/$pid/stat"
before=$((st[13] + st[14]))
sleep 3
read -r -a st <"/proc/$pid/stat"
after=$((st[13] + st[14]))
[ $((after - before)) -le 3 ] || fail "idle daemon used $((after - before)) ticks in 3 s"
echo "idle CPU: $((after - before)) ticks in 3 s; RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"
stop

# Idle lock: with no input for a second, the console locks by itself.
start "$tmp/hash" --idle-lock 1
out=$(call org.freedesktop.DBus.Properties.Get string:org.cairn.Console1 string:Locked)
grep -q 'boolean false' <<<"$out" || fail "Locked at start: $out"
sleep 2
out=$(call org.freedesktop.DBus.Properties.Get string:org.cairn.Console1 string:Locked)
grep -q 'boolean true' <<<"$out" || fail "not locked after 2 s idle with --idle-lock 1: $out"
grep -q 'No input for 1 s: locking' "$tmp/log" || fail "no idle-lock line in the log"
stop
"$consoled" --idle-lock soon >/dev/null 2>&1 && fail "--idle-lock soon was accepted"

# No display to open (DRM, a device that is not there): the bus is still served,
# and the log names the device.
start "$tmp/none" --display "drm:$tmp/no-card"
call org.cairn.Console1.ListSurfaces >/dev/null || fail "ListSurfaces without a display"
grep -q "Failed to open $tmp/no-card" "$tmp/log" || fail "no line naming the missing device"
grep -q 'No display: continuing without a screen' "$tmp/log" || fail "no line saying it goes on headless"
stop
for bad in vga drm: sdl: ""; do
	"$consoled" --display "$bad" --help >/dev/null 2>&1 && fail "--display '$bad' was accepted"
done
echo "PASS"
