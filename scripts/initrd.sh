#!/usr/bin/env bash
# scripts/initrd.sh [dom0|vm]: build dom0's initramfs with dracut inside the dom0
# base tree (so it matches the image's kernel and tools), plus the kernel and Xen,
# into out/images/{initrd.img,vmlinuz,xen.gz}; or ("vm") the service VMs'
# initramfs (initramfs/90cairn-vm) into out/images/vm-initrd.img.  The service
# VMs boot the same kernel.  Cached by the base and initramfs/.
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
OUT=${OUT:-$ROOT/out}
CACHE=${CACHE:-$HOME/.cache/cairn}
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

target=${1:-dom0}
case $target in
dom0 | vm) ;;
*) die "initrd.sh: unknown target '$target' (dom0 or vm)" ;;
esac
base=$(cat "$OUT/images/dom0.base" 2>/dev/null) || die "bootstrap the dom0 base first (scripts/rootfs.sh dom0 base)"
[ -d "$base" ] || die "dom0 base tree $base is gone; run scripts/rootfs.sh dom0"
# The initramfs unlocks the config volume with the project's cairn-config.
config_tool="$OUT/staging/usr/bin/cairn-config"
[ -x "$config_tool" ] || die "build the C tree first (./build.sh c): no $config_tool"
if [ "$target" = vm ]; then
	key=$( { echo "$base vm"; hash_inputs "$ROOT/initramfs/90cairn-vm" "$ROOT/scripts/initrd.sh"; } |
		sha256sum | cut -c1-16)
	dest="$CACHE/initrd/vm-initrd-$key"
else
	key=$( { echo "$base"; hash_inputs "$ROOT/initramfs/90cairn" "$ROOT/scripts/initrd.sh"; sha256sum <"$config_tool"; } |
		sha256sum | cut -c1-16)
	dest="$CACHE/initrd/initrd-$key"
fi

# Drivers the initramfs needs beyond what module-setup.sh names: none today.
# kernel-modules is left out on purpose: module-setup.sh of 90cairn names the
# drivers the initramfs needs, which keeps it small (fast to load and measure).
DRACUT_MODULES="bash base udev-rules dm cairn"
[ "$target" = dom0 ] || DRACUT_MODULES="bash base udev-rules cairn-vm"

build_initrd() {
	local work="$OUT/work/initrd" tree kver tmp="$dest.tmp"
	tree="$work/root"
	trap 'chroot_cleanup; umount -l "$tree" 2>/dev/null || true' EXIT
	umount -l "$tree" 2>/dev/null || true
	rm -rf "$work" "$tmp"
	mkdir -p "$work/upper" "$work/wd" "$tree" "$tmp"
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/wd" "$tree"
	rm -rf "$tree/usr/lib/dracut/modules.d/90cairn" "$tree/usr/lib/dracut/modules.d/90cairn-vm"
	cp -r "$ROOT/initramfs/90cairn" "$tree/usr/lib/dracut/modules.d/90cairn"
	cp -r "$ROOT/initramfs/90cairn-vm" "$tree/usr/lib/dracut/modules.d/90cairn-vm"
	install -m 0755 "$config_tool" "$tree/usr/bin/cairn-config"
	kver=$(basename "$(find "$tree/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 1)")
	chroot_prepare "$tree"
	chroot "$tree" dracut --force --no-hostonly --no-hostonly-cmdline --no-early-microcode \
		--modules "$DRACUT_MODULES" --compress "zstd -19 -T0" --kver "$kver" /tmp/initrd.img
	chroot_cleanup
	cp "$tree/tmp/initrd.img" "$tmp/initrd.img"
	cp "$tree/boot/vmlinuz-$kver" "$tmp/vmlinuz"
	cp "$tree/boot/xen-4.17-amd64.gz" "$tmp/xen.gz"
	echo "$kver" >"$tmp/kver"
	chroot "$tree" lsinitrd /tmp/initrd.img >"$tmp/contents.txt" 2>&1 || true
	umount "$tree"
	trap - EXIT
	rm -rf "$work"
	mv "$tmp" "$dest"
	prune_cache "$CACHE/initrd" "$(basename "${dest%-*}")"
}

stage=initrd
[ "$target" = dom0 ] || stage=vm-initrd
if [ -f "$dest/initrd.img" ]; then
	note_stage "$stage" "cached ($dest)"
else
	run_stage "$stage" build_initrd
fi
mkdir -p "$OUT/images"
if [ "$target" = vm ]; then
	cp "$dest/initrd.img" "$OUT/images/vm-initrd.img"
	cp "$dest/vmlinuz" "$OUT/images/vmlinuz"
	printf '%-16s initrd %s KiB, kernel %s\n' vm-initrd \
		"$(( $(stat -c %s "$OUT/images/vm-initrd.img") / 1024 ))" "$(cat "$dest/kver")"
	exit 0
fi
for f in initrd.img vmlinuz xen.gz kver contents.txt; do
	cp "$dest/$f" "$OUT/images/$f"
done
printf '%-16s initrd %s MiB, kernel %s\n' initrd \
	"$(( $(stat -c %s "$OUT/images/initrd.img") / 1048576 ))" "$(cat "$OUT/images/kver")"
