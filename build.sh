#!/usr/bin/env bash
# Cairn's one entry point: dependencies, C build, images, ISO, QEMU, tests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${CAIRN_OUT:-$ROOT/out}
CACHE=${CAIRN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn}
export ROOT OUT CACHE
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

usage() {
	cat <<'EOF'
Usage: ./build.sh [COMMAND] [ARGS]

Commands:
  iso            build out/cairn.iso (the default command)
  run [--test]   build the ISO and boot it in QEMU (q35, OVMF, swtpm TPM 2.0);
                 --seabios boots with SeaBIOS, --usb as a USB stick, --test boots
                 the test variant (serial root shell).  State goes under out/run/.
  test [PATTERN] run every test (or those whose name matches PATTERN: a glob, or
                 a substring); ends with "N passed, N failed, N skipped"
  bench          print benchmark figures (sizes, build and boot times, analysis)
  fuzz [NAME] [SECONDS]
                 build libFuzzer targets and run each (or NAME) for SECONDS (600)
  deps           install the Debian packages the build and tests need
  clean [--cache] remove out/ (and the image cache in ~/.cache/cairn)
  images         build the release ISO and the test-variant ISO
  c              build the C tree and stage its install under out/staging

Environment: CAIRN_CACHE (default ~/.cache/cairn), CAIRN_OUT (default ./out).
Logs of every stage are in out/logs/.
EOF
}

# Everything the build, the images and the tests need, from Debian 12.
DEPS=(
	build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
	libcmocka-dev libtss2-dev libcryptsetup-dev libsystemd-dev libxen-dev libssl-dev
	libjson-c-dev zlib1g-dev libcrypt-dev libsdl2-dev libsdl2-ttf-dev libinput-dev libudev-dev libpng-dev fonts-dejavu-core
	mmdebstrap squashfs-tools cryptsetup-bin dosfstools mtools xorriso
	grub-common grub-efi-amd64-bin grub-pc-bin
	qemu-system-x86 qemu-system-gui qemu-utils ovmf seabios swtpm swtpm-tools tpm2-tools
	python3 cpio zstd xz-utils shellcheck dbus dbus-daemon iproute2
)

cmd_deps() {
	local p missing=() sudo=()
	for p in "${DEPS[@]}"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
			missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	echo "deps: installing ${missing[*]}"
	run_stage apt-update "${sudo[@]}" apt-get update -q
	run_stage apt-install "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# meson_build DIR [meson options...]: configure once, then build.
meson_build() {
	local dir=$1; shift
	# Components are included when their meson.build exists: a new one needs a
	# reconfigure, which meson cannot notice by itself.
	local components
	components=$(cd "$ROOT" && ls -- */meson.build */*/meson.build 2>/dev/null | tr '\n' ' ')
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$ROOT" "$@"
	elif [ "$(cat "$dir/.cairn-components" 2>/dev/null)" != "$components" ]; then
		meson setup --reconfigure "$dir" "$ROOT" "$@"
	fi
	echo "$components" >"$dir/.cairn-components"
	ninja -C "$dir"
}

cmd_c() {
	run_stage c-build meson_build "$OUT/build" -Dwerror=true --prefix=/usr
	rm -rf "$OUT/staging"
	run_stage c-stage env DESTDIR="$OUT/staging" meson install -C "$OUT/build" --no-rebuild
}

cmd_asan() {
	run_stage c-asan meson_build "$OUT/build-asan" -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
}

cmd_iso() { # [--test]
	local variant=release
	if [ "${1:-}" = --test ]; then variant="test"; fi
	cmd_c
	build_images
	"$ROOT/scripts/iso.sh" "$variant"
}

# The service VMs (NDVM, UIVM) boot dom0's kernel with their own initramfs and
# their own images; dom0's verified image carries that kernel, the initramfs and
# the images' root hashes (docs/service-vms.md), so they are built first.
build_images() {
	"$ROOT/scripts/rootfs.sh" dom0 base
	"$ROOT/scripts/initrd.sh" vm
	"$ROOT/scripts/rootfs.sh" ndvm
	"$ROOT/scripts/rootfs.sh" uivm
	local vm="$OUT/staging/usr/lib/cairn/vm" name
	mkdir -p "$vm"
	cp "$OUT/images/vmlinuz" "$vm/vmlinuz"
	cp "$OUT/images/vm-initrd.img" "$vm/initrd.img"
	for name in ndvm uivm; do
		cp "$OUT/images/$name.roothash" "$vm/$name.roothash"
	done
	"$ROOT/scripts/rootfs.sh" dom0
	"$ROOT/scripts/initrd.sh"
}

cmd_images() {
	cmd_c
	build_images
	"$ROOT/scripts/iso.sh" release
	"$ROOT/scripts/iso.sh" test
}

cmd_run() { # [cairn-qemu options]
	local arg iso="$OUT/cairn.iso" isoarg=()
	for arg in "$@"; do
		if [ "$arg" = --test ]; then
			iso="$OUT/cairn-test.iso"
			isoarg=(--test)
		fi
	done
	cmd_deps
	cmd_iso "${isoarg[@]}"
	exec python3 "$ROOT/tests/e2e/cairn-qemu" --state "$OUT/run" --iso "$iso" "$@"
}

cmd_test() {
	cmd_deps
	exec python3 "$ROOT/tests/run.py" "$@"
}

cmd_bench() {
	cmd_deps
	local b
	for b in "$ROOT"/tests/bench/bench-*; do
		[ -x "$b" ] || continue
		echo "== $(basename "$b")"
		"$b" || echo "$(basename "$b"): FAILED (exit $?)"
	done
}

cmd_fuzz() {
	local only=${1:-} secs=${2:-600} src name bin seeds corpus failed=0
	cmd_deps
	CC=clang run_stage fuzz-build meson_build "$OUT/build-fuzz" -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
		-Dc_args=-fsanitize=fuzzer-no-link
	while IFS= read -r src; do
		name=$(basename "$src" .c)
		name=${name#fuzz-}
		[ -z "$only" ] || [ "$only" = "$name" ] || continue
		bin=$(find "$OUT/build-fuzz" -type f -name "fuzz-$name" -perm -u+x | head -n 1)
		[ -n "$bin" ] || die "fuzz target fuzz-$name was not built"
		seeds="$(dirname "$src")/seeds/$name"
		corpus="$OUT/fuzz/$name"
		mkdir -p "$corpus" "$OUT/fuzz/crashes-$name"
		echo "fuzz-$name: ${secs}s (corpus $corpus, seeds $seeds)"
		if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="$OUT/fuzz/crashes-$name/" "$corpus" "$seeds" \
			>"$LOGDIR/fuzz-$name.log" 2>&1; then
			echo "fuzz-$name: FAILED, see $LOGDIR/fuzz-$name.log and $OUT/fuzz/crashes-$name/" >&2
			failed=1
		else
			grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$LOGDIR/fuzz-$name.log" | tail -n 2
		fi
	done < <(find "$ROOT" -path "$OUT" -prune -o -path '*/fuzz/fuzz-*.c' -print | sort)
	return "$failed"
}

cmd_clean() {
	rm -rf "$OUT"
	if [ "${1:-}" = --cache ]; then
		rm -rf "$CACHE"
	fi
}

main() {
	local cmd=${1:-iso}
	[ $# -gt 0 ] && shift
	case $cmd in
	-h | --help | help) usage ;;
	deps) cmd_deps ;;
	c) cmd_deps; cmd_c ;;
	asan) cmd_deps; cmd_asan ;;
	iso) cmd_deps; cmd_iso "$@" ;;
	images) cmd_deps; cmd_images ;;
	run) cmd_run "$@" ;;
	test) cmd_test "$@" ;;
	bench) cmd_bench "$@" ;;
	fuzz) cmd_fuzz "$@" ;;
	clean) cmd_clean "$@" ;;
	*)
		echo "build.sh: unknown command '$cmd'" >&2
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
