#!/bin/sh
# initqueue job: mount the first block device labelled like the boot medium
# that holds a dom0 image.  Runs again after each udev settle until it succeeds.
# Every device is probed directly (blkid -p): an ISO written raw to a USB stick
# carries both a partition table and the ISO 9660 label on the whole disk.
# shellcheck source=initramfs/90cairn/cairn-lib.sh
. /lib/cairn-lib.sh

[ -e /run/cairn/medium-found ] && exit 0
label=$(cat /run/cairn/label)
mnt=/run/cairn/medium
mkdir -p "$mnt"

for sys in /sys/class/block/*; do
	dev=/dev/${sys##*/}
	[ -b "$dev" ] || continue
	case ${sys##*/} in loop* | ram* | dm-* | zram*) continue ;; esac
	# Labels are read from untrusted media: compared, never evaluated.
	LABEL=$(blkid -p -o value -s LABEL "$dev" 2>/dev/null)
	[ "$LABEL" = "$label" ] || continue
	TYPE=$(blkid -p -o value -s TYPE "$dev" 2>/dev/null)
	case $TYPE in
	iso9660 | udf | vfat | ext4) ;;
	*) continue ;;
	esac
	# Mount through a read-only loop device: a mount of the whole disk would
	# claim it and keep its partitions (the CAIRN-DATA partition of a USB
	# stick) from being mounted later.
	loop=$(losetup --find --show --read-only "$dev" 2>/dev/null) || continue
	if mount -o ro -t "$TYPE" "$loop" "$mnt" 2>/dev/null; then
		if [ -f "$mnt/cairn/dom0.squashfs" ] && [ -f "$mnt/cairn/dom0.verity" ]; then
			echo "$dev" >/run/cairn/medium-found
			cairn_say "cairn: boot medium $dev"
			exit 0
		fi
		umount "$mnt"
	fi
	losetup -d "$loop"
done
exit 0
