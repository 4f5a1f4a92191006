#!/usr/bin/env bash
# scripts/iso.sh release|test: assemble the hybrid ISO (BIOS + UEFI, CD + USB
# stick) out/cairn.iso, or the test variant out/cairn-test.iso
# (iso/test-variant/README.md), from out/images/.
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
OUT=${OUT:-$ROOT/out}
CACHE=${CACHE:-$HOME/.cache/cairn}
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

variant=${1:-release}
case $variant in
release) iso="$OUT/cairn.iso" ;;
test) iso="$OUT/cairn-test.iso" ;;
*) die "iso.sh: unknown variant '$variant' (release or test)" ;;
esac
img="$OUT/images"
for f in dom0.squashfs dom0.verity dom0.roothash xen.gz vmlinuz initrd.img \
	ndvm.squashfs ndvm.verity uivm.squashfs uivm.verity; do
	[ -f "$img/$f" ] || die "missing $img/$f: build the images first (./build.sh iso)"
done
version=$(sed -n "s/^ *version: '\(.*\)',/\1/p" "$ROOT/meson.build" | head -n 1)
version="$version+$(git -C "$ROOT" rev-parse --short=8 HEAD 2>/dev/null || echo unknown)"
roothash=$(cat "$img/dom0.roothash")

args() { # KEY
	sed -n "s/^$1=//p" "$ROOT/iso/args" | sed "s/@ROOTHASH@/$roothash/g"
}

# tboot_files TREE: the Intel TXT entry's tboot (Debian's tboot package on the
# build host) and the verified-launch policy for this ISO's modules
# (docs/measurement.md, "tboot / Intel TXT").
# Debian's tboot package, unpacked into the cache (not installed: its grub.d
# scripts would add entries to the build host's own boot menu).
tboot_root() {
	local v dir tmp
	v=$(apt-cache policy tboot 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$v" ] && [ "$v" != "(none)" ] || die "the tboot package is not in the configured Debian archive"
	dir="$CACHE/tboot/tboot-$v"
	if [ ! -x "$dir/usr/sbin/tb_polgen" ]; then
		tmp=$(mktemp -d)
		chmod 755 "$tmp" # apt downloads as _apt
		(cd "$tmp" && apt-get download -q "tboot=$v" >/dev/null 2>&1) || die "cannot download the tboot package (apt-get download tboot=$v)"
		mkdir -p "$(dirname "$dir")"
		rm -rf "$dir.tmp"
		dpkg-deb -x "$tmp"/tboot_*.deb "$dir.tmp"
		rm -rf "$tmp" "$dir"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

tboot_files() {
	local tree=$1 pol="$1/boot/tboot/cairn.vlp" xen_args dom0_args tb
	tb=$(tboot_root)
	mkdir -p "$tree/boot/tboot"
	cp "$tb/boot/tboot.gz" "$tree/boot/tboot.gz"
	tb_polgen() { "$tb/usr/sbin/tb_polgen" "$@"; }
	# The command lines exactly as the cairn-txt entry passes them (GRUB gives tboot
	# each module's arguments without the file name).
	xen_args="$(args XEN_ARGS) console=com1,vga"
	dom0_args="$(args DOM0_ARGS) console=hvc0 console=tty0"
	tb_polgen --create --type halt --alg sha256 "$pol" >/dev/null
	tb_polgen --add --num 0 --pcr 18 --hash image --cmdline "$xen_args" --image "$img/xen.gz" "$pol" >/dev/null
	tb_polgen --add --num 1 --pcr 19 --hash image --cmdline "$dom0_args" --image "$img/vmlinuz" "$pol" >/dev/null
	tb_polgen --add --num 2 --pcr 19 --hash image --cmdline "" --image "$img/initrd.img" "$pol" >/dev/null
	tb_polgen --show "$pol" >"$tree/boot/tboot/cairn.vlp.txt"
}

assemble() {
	local tree="$OUT/iso-$variant"
	rm -rf "$tree"
	mkdir -p "$tree/boot/grub" "$tree/cairn"
	cp "$ROOT/iso/grub.cfg" "$tree/boot/grub/grub.cfg"
	sed -e "s|@VERSION@|$version|g" -e "s|@XEN_ARGS@|$(args XEN_ARGS)|g" \
		-e "s|@DOM0_ARGS@|$(args DOM0_ARGS)|g" "$ROOT/iso/cairn.cfg.in" >"$tree/boot/grub/cairn.cfg"
	if grep -q '@[A-Z_]*@' "$tree/boot/grub/cairn.cfg"; then
		die "unexpanded placeholder in cairn.cfg"
	fi
	ln "$img/xen.gz" "$tree/boot/xen.gz" 2>/dev/null || cp "$img/xen.gz" "$tree/boot/xen.gz"
	tboot_files "$tree"
	ln "$img/vmlinuz" "$tree/boot/vmlinuz" 2>/dev/null || cp "$img/vmlinuz" "$tree/boot/vmlinuz"
	if [ "$variant" = test ]; then
		# Release initramfs + one appended cpio with the test-shell hook.
		local extra="$OUT/work/test-variant"
		rm -rf "$extra"
		mkdir -p "$extra/usr/lib/dracut/hooks/pre-pivot"
		install -m 0755 "$ROOT/iso/test-variant/cairn-test-shell.sh" \
			"$extra/usr/lib/dracut/hooks/pre-pivot/99-cairn-test-shell.sh"
		cat "$img/initrd.img" >"$tree/boot/initrd.img"
		# The kernel looks for an appended archive only at a 4-byte boundary.
		local pad=$(( (4 - $(stat -c %s "$img/initrd.img") % 4) % 4 ))
		head -c "$pad" /dev/zero >>"$tree/boot/initrd.img"
		(cd "$extra" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
			>>"$tree/boot/initrd.img"
	else
		ln "$img/initrd.img" "$tree/boot/initrd.img" 2>/dev/null || cp "$img/initrd.img" "$tree/boot/initrd.img"
	fi
	ln "$img/dom0.squashfs" "$tree/cairn/dom0.squashfs" 2>/dev/null || cp "$img/dom0.squashfs" "$tree/cairn/"
	ln "$img/dom0.verity" "$tree/cairn/dom0.verity" 2>/dev/null || cp "$img/dom0.verity" "$tree/cairn/"
	# The service VMs' images; their root hashes are inside dom0's image.
	local f
	for f in ndvm.squashfs ndvm.verity uivm.squashfs uivm.verity; do
		ln "$img/$f" "$tree/cairn/$f" 2>/dev/null || cp "$img/$f" "$tree/cairn/"
	done
	printf 'version=%s\nvariant=%s\ndom0_roothash=%s\n' "$version" "$variant" "$roothash" \
		>"$tree/cairn/BUILD"
	# A small FAT partition after the ISO 9660 image, writable once the ISO is
	# written to a USB stick: hardware diagnostics leave their bundle there.
	local data="$OUT/work/data-$variant.img"
	mkdir -p "$OUT/work"
	rm -f "$data"
	truncate -s 16M "$data"
	mkfs.vfat -n CAIRN-DATA "$data" >/dev/null
	printf '%s\r\n' "Cairn data partition (CAIRN-DATA)." \
		"Hardware diagnostics write their support bundles here (cairn-hwcheck-*.tar.gz)." \
		"Booted from a CD this partition is read-only and nothing is written." >"$OUT/work/README.TXT"
	mcopy -i "$data" "$OUT/work/README.TXT" ::README.TXT
	grub-mkrescue --output="$iso.tmp" "$tree" -- -volid CAIRN -append_partition 3 0x0c "$data"
	mv "$iso.tmp" "$iso"
}

run_stage "iso-$variant" assemble
printf '%-16s %s (%s MiB)\n' "iso-$variant" "${iso#"$ROOT"/}" "$(( $(stat -c %s "$iso") / 1048576 ))"
