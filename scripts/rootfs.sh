#!/usr/bin/env bash
# scripts/rootfs.sh NAME [base]: build the read-only image rootfs/NAME into
# out/images/NAME.{squashfs,verity,roothash} (with "base": only make sure the
# bootstrapped tree exists and name it in out/images/NAME.base).  Two cached stages:
#   base  - mmdebstrap of rootfs/NAME/packages (slow; keyed by the package list)
#   image - overlay, staged binaries, customize, trim, squashfs, dm-verity
#           (keyed by every input, so a C change redoes only this stage)
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
OUT=${OUT:-$ROOT/out}
CACHE=${CACHE:-$HOME/.cache/cairn}
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

name=${1:?usage: rootfs.sh NAME [base]}
only_base=${2:-}
recipe="$ROOT/rootfs/$name"
[ -f "$recipe/packages" ] || die "no recipe rootfs/$name (rootfs/$name/packages missing)"
# Bump when the way images are built changes, so old cache entries are not reused.
RECIPE_FORMAT=1

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$recipe/packages" | tr -s ' \n' ',,' | sed 's/,$//')
base_key=$(printf 'format %s\npackages %s\n' "$RECIPE_FORMAT" "$packages" | sha256sum | cut -c1-16)
base="$CACHE/base/$name-$base_key"

build_base() {
	local tmp="$base.tmp"
	rm -rf "$tmp"
	mkdir -p "$(dirname "$base")"
	mmdebstrap --variant=minbase --mode=root --format=directory \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-include=/usr/share/locale/locale.alias' \
		--include="$packages" bookworm "$tmp"
	mv "$tmp" "$base"
	prune_cache "$CACHE/base" "$name"
}

if [ -d "$base" ]; then
	note_stage "$name-base" "cached ($base)"
else
	run_stage "$name-base" build_base
fi
mkdir -p "$OUT/images"
if [ "$only_base" = base ]; then
	echo "$base" >"$OUT/images/$name.base"
	exit 0
fi

# A recipe without its own kernel (the service VMs boot dom0's kernel) names the
# recipe whose base has it in `kernel`, and the modules it needs in `modules`:
# those and their dependencies are copied from there, so they always match.
kbase=
if [ -f "$recipe/kernel" ]; then
	kname=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$recipe/kernel" | head -n 1)
	kbase=$(cat "$OUT/images/$kname.base" 2>/dev/null) ||
		die "image $name takes its kernel modules from $kname: run scripts/rootfs.sh $kname base first"
	[ -d "$kbase" ] || die "image $name: the $kname base $kbase is gone"
fi

# --- image stage -------------------------------------------------------------
staging="$OUT/staging"
collect_binaries() {
	[ -f "$recipe/binaries" ] && [ -d "$staging" ] || return 0
	(
		cd "$staging"
		shopt -s nullglob globstar
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$recipe/binaries" | while read -r pattern; do
			# shellcheck disable=SC2086
			for f in $pattern; do
				if [ -f "$f" ] || [ -L "$f" ]; then echo "$f"; fi
			done
		done
	) | sort -u
}
mapfile -t binlist < <(collect_binaries)

comp=$(sed -e 's/#.*//' -e '/^$/d' "$recipe/compression" 2>/dev/null | head -n 1)
comp=${comp:-zstd}
img_key=$(
	{
		echo "base $base_key comp $comp format $RECIPE_FORMAT kernel-base $kbase"
		hash_inputs "$recipe/overlay" "$recipe/customize" "$recipe/trim" "$recipe/binaries" \
			"$recipe/kernel" "$recipe/modules" "$ROOT/rootfs/lib" "$ROOT/scripts/rootfs.sh"
		for f in "${binlist[@]}"; do printf '%s ' "$f"; sha256sum <"$staging/$f"; done
	} | sha256sum | cut -c1-16
)
img="$CACHE/images/$name-$img_key"

mksquash() { # tree output
	case $comp in
	xz) mksquashfs "$1" "$2" -noappend -comp xz -Xbcj x86 -b 1M -no-progress -quiet ;;
	zstd) mksquashfs "$1" "$2" -noappend -comp zstd -Xcompression-level 19 -b 1M -no-progress -quiet ;;
	*) die "rootfs/$name/compression: unknown compression '$comp' (zstd or xz)" ;;
	esac
}

# copy_modules TREE: the modules named in the recipe's `modules` (and what they
# depend on) from the kernel base into TREE.
copy_modules() {
	local tree=$1 kver m f n=0
	kver=$(basename "$(find "$kbase/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 1)")
	[ -n "$kver" ] || die "image $name: no kernel modules in $kbase"
	mkdir -p "$tree/usr/lib/modules/$kver"
	cp -a "$kbase/usr/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$tree/usr/lib/modules/$kver/"
	for m in $(sed -e 's/#.*//' "$recipe/modules"); do
		# --show-depends prints "insmod /path/x.ko" for x and each of its dependencies.
		mapfile -t files < <(chroot "$kbase" modprobe -S "$kver" --show-depends "$m" 2>&1 |
			sed -n 's|^insmod ||p' | cut -d' ' -f1) || true
		if [ "${#files[@]}" -eq 0 ]; then
			chroot "$kbase" modprobe -S "$kver" --show-depends "$m" 2>&1 | grep -q '^builtin ' ||
				die "image $name: module $m is not in kernel $kver (rootfs/$name/modules)"
		fi
		for f in "${files[@]}"; do
			f=$(readlink -m "$f")
			[ -e "$tree$f" ] && continue
			mkdir -p "$tree$(dirname "$f")"
			cp -a "$kbase$f" "$tree$f"
			n=$((n + 1))
		done
	done
	echo "image $name: $n kernel modules of $kver from $(basename "$kbase")"
}

build_image() {
	local work="$OUT/work/$name" tmp="$img.tmp"
	local upper="$work/upper" wd="$work/wd" tree="$work/root"
	trap 'chroot_cleanup; umount -l "$tree" 2>/dev/null || true' EXIT
	umount -l "$tree" 2>/dev/null || true
	rm -rf "$work" "$tmp"
	mkdir -p "$upper" "$wd" "$tree" "$tmp"
	# The cached base stays untouched: all changes land in the overlay's upper dir.
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$upper,workdir=$wd" "$tree"

	[ -d "$recipe/overlay" ] && cp -a --no-preserve=ownership "$recipe/overlay/." "$tree/"
	for f in "${binlist[@]}"; do
		mkdir -p "$tree/$(dirname "$f")"
		cp -a --no-preserve=ownership "$staging/$f" "$tree/$f"
	done
	echo "image $name: ${#binlist[@]} project files from out/staging"
	[ -z "$kbase" ] || copy_modules "$tree"
	: >"$tree/etc/fstab"

	if [ -x "$recipe/customize" ]; then
		chroot_prepare "$tree"
		"$recipe/customize" "$tree"
		chroot_cleanup
	fi
	# Every project binary must find its libraries in this image.
	local f missing
	for f in "${binlist[@]}"; do
		[ -x "$tree/$f" ] && [ -f "$tree/$f" ] || continue
		cmp -s -n 4 "$tree/$f" <(printf '\177ELF') || continue
		missing=$(chroot "$tree" ldd "/$f" 2>&1 | grep 'not found' || true)
		[ -z "$missing" ] || die "image $name: /$f lacks libraries: $missing (add their packages to rootfs/$name/packages)"
	done

	if [ -f "$recipe/trim" ]; then
		( cd "$tree" && shopt -s nullglob &&
		  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$recipe/trim" | while IFS= read -r g; do
			# shellcheck disable=SC2086
			rm -rf -- $g
		  done )
	fi
	local kver
	for kver in "$tree"/usr/lib/modules/*; do
		[ -d "$kver" ] && chroot "$tree" depmod -a "$(basename "$kver")"
	done

	mksquash "$tree" "$tmp/$name.squashfs"
	veritysetup format "$tmp/$name.squashfs" "$tmp/$name.verity" >"$tmp/verity.txt"
	awk '/^Root hash:/ { print $3 }' "$tmp/verity.txt" >"$tmp/$name.roothash"
	[ -s "$tmp/$name.roothash" ] || die "veritysetup gave no root hash"
	du -sm "$tree" | cut -f1 >"$tmp/tree-mib"
	umount "$tree"
	trap - EXIT
	rm -rf "$work"
	mv "$tmp" "$img"
	prune_cache "$CACHE/images" "$name"
}

if [ -f "$img/$name.roothash" ]; then
	note_stage "$name-image" "cached ($img)"
else
	run_stage "$name-image" build_image
fi

for f in squashfs verity roothash; do
	cp --reflink=auto "$img/$name.$f" "$OUT/images/$name.$f.tmp"
	mv "$OUT/images/$name.$f.tmp" "$OUT/images/$name.$f"
done
echo "$base" >"$OUT/images/$name.base"
printf '%-16s %s MiB squashfs (%s, tree %s MiB), root hash %s\n' "$name" \
	"$(( $(stat -c %s "$OUT/images/$name.squashfs") / 1048576 ))" "$comp" \
	"$(cat "$img/tree-mib")" "$(cut -c1-16 "$OUT/images/$name.roothash")..."
