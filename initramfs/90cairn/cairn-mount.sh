#!/bin/sh
# mount hook: dm-verity over dom0.squashfs, read-only squashfs, tmpfs upper,
# overlay at $NEWROOT.
# shellcheck source=initramfs/90cairn/cairn-lib.sh
. /lib/cairn-lib.sh

[ -e /run/cairn/medium-found ] || cairn_fatal "boot medium not found"
roothash=$(cat /run/cairn/roothash)
med=/run/cairn/medium/cairn
lower=/run/cairn/lower
rw=/run/cairn/rw

if ! veritysetup open "$med/dom0.squashfs" cairn-dom0 "$med/dom0.verity" "$roothash" >/run/cairn/verity.log 2>&1; then
	cairn_fatal "the dom0 image does not match the root hash on the command line (dm-verity refused it: $(tail -n 1 /run/cairn/verity.log)). The boot medium is corrupted or was modified."
fi

# Read the whole image once through dm-verity: a modified block anywhere stops
# the boot here, with a message, instead of failing some file later.
cairn_say "cairn: verifying the dom0 image"
start=$(cut -d' ' -f1 /proc/uptime)
if ! dd if=/dev/mapper/cairn-dom0 of=/dev/null bs=1M 2>/run/cairn/verify.log; then
	if ! dd if=/dev/mapper/cairn-dom0 of=/dev/null bs=4096 count=1 2>/dev/null; then
		# Not even the first block verifies: the hash tree's root differs.
		cairn_fatal "the dom0 image does not match the root hash on the kernel command line: the root hash is wrong, or the image was replaced or modified."
	fi
	where=$(dmesg 2>/dev/null | grep -o 'verity: [^:]*: data block [0-9]* is corrupted' | head -n 1)
	cairn_fatal "the dom0 image is corrupted: ${where:-a block failed dm-verity verification}. The boot medium is damaged or was modified."
fi

mkdir -p "$lower" "$rw"
mount -t squashfs -o ro /dev/mapper/cairn-dom0 "$lower" ||
	cairn_fatal "cannot mount the verified dom0 image (squashfs)"
mount -t tmpfs -o mode=0755 cairn-rw "$rw" ||
	cairn_fatal "cannot mount the tmpfs for dom0's writable layer"
mkdir -p "$rw/upper" "$rw/work"
mount -t overlay -o "lowerdir=$lower,upperdir=$rw/upper,workdir=$rw/work" cairn-root "$NEWROOT" ||
	cairn_fatal "cannot mount dom0's overlay root"
end=$(cut -d' ' -f1 /proc/uptime)
size=$(blockdev --getsize64 /dev/mapper/cairn-dom0 2>/dev/null || echo 0)
cairn_say "cairn: dom0 image verified ($((size / 1048576)) MiB, $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s) and mounted"
