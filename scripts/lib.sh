#!/usr/bin/env bash
# Shared helpers for build glue: stages with timing, logs and progress.
# Sourced by build.sh and scripts/*.sh; expects ROOT, OUT and CACHE to be set.

: "${ROOT:?}" "${OUT:?}" "${CACHE:?}"
LOGDIR="$OUT/logs"
mkdir -p "$LOGDIR"

die() {
	echo "build.sh: error: $*" >&2
	exit 1
}

now() { date +%s.%N; }

elapsed() { # start -> "12.3s"
	awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1fs", e - s }'
}

# run_stage NAME CMD... : runs CMD with its output in $LOGDIR/NAME.log, shows a
# progress line (elapsed time, last log line) while it runs, and ends with one
# line saying how long it took.  On failure, names the stage and the log file.
run_stage() {
	local _stage=$1; shift
	local _log="$LOGDIR/$_stage.log" _start _pid _rc=0 _tick=0
	_start=$(now)
	: >"$_log"
	("$@") >>"$_log" 2>&1 &
	_pid=$!
	while kill -0 "$_pid" 2>/dev/null; do
		sleep 1
		_tick=$((_tick + 1))
		if [ -t 1 ]; then
			printf '\r\033[K  %-14s %4ss  %s' "$_stage" "$_tick" \
				"$(tail -n 1 "$_log" 2>/dev/null | tr -d '\r' | cut -c1-60)"
		elif [ $((_tick % 30)) -eq 0 ]; then
			printf '  %-14s still running (%ss): %s\n' "$_stage" "$_tick" \
				"$(tail -n 1 "$_log" 2>/dev/null | tr -d '\r' | cut -c1-80)"
		fi
	done
	wait "$_pid" || _rc=$?
	if [ -t 1 ]; then printf '\r\033[K'; fi
	if [ "$_rc" -ne 0 ]; then
		printf '%-16s FAILED after %s (exit %s); log: %s\n' "$_stage" "$(elapsed "$_start")" "$_rc" "$_log" >&2
		tail -n 25 "$_log" | sed 's/^/  | /' >&2
		return "$_rc"
	fi
	printf '%-16s done in %s\n' "$_stage" "$(elapsed "$_start")"
}

# note_stage NAME TEXT: a one-line stage that had nothing to do.
note_stage() {
	printf '%-16s %s\n' "$1" "$2"
}

# hash_inputs PATH...: one sha256 over the names, modes and contents of files.
hash_inputs() {
	local p
	for p in "$@"; do
		if [ -d "$p" ]; then
			(cd "$p" && find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
				while IFS= read -r -d '' f; do
					printf '%s %s ' "$f" "$(stat -c %a "$f")"
					if [ -L "$f" ]; then readlink "$f"; else sha256sum <"$f"; fi
				done)
		elif [ -e "$p" ]; then
			printf '%s ' "$(basename "$p")"
			sha256sum <"$p"
		else
			printf '%s absent\n' "$p"
		fi
	done | sha256sum | cut -c1-16
}

# prune_cache DIR PREFIX: keep the newest two cache entries DIR/PREFIX-*.
prune_cache() {
	find "$1" -maxdepth 1 -name "$2-*" -printf '%T@ %p\n' 2>/dev/null | sort -rn |
		tail -n +3 | cut -d' ' -f2- | xargs -r rm -rf
}

# Mounts made for a chroot, undone by chroot_cleanup (called from traps).
CHROOT_MOUNTS=()
chroot_prepare() { # dir
	local d=$1 m
	for m in proc sys dev; do
		mkdir -p "$d/$m"
		case $m in
		proc) mount -t proc proc "$d/proc" ;;
		sys) mount -t sysfs sys "$d/sys" ;;
		dev) mount --bind /dev "$d/dev" ;;
		esac
		CHROOT_MOUNTS+=("$d/$m")
	done
}
chroot_cleanup() {
	local i
	for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${CHROOT_MOUNTS[$i]}" 2>/dev/null || true
	done
	CHROOT_MOUNTS=()
}
