#!/bin/sh
# initqueue job: mount the first device labelled like the boot medium that
# holds a dom0 image.  Runs again after each udev settle until it succeeds.
# shellcheck source=initramfs/90cairn/cairn-lib.sh
. /lib/cairn-lib.sh

[ -e /run/cairn/medium-found ] && exit 0
label=$(cat /run/cairn/label)
mnt=/run/cairn/medium
mkdir -p "$mnt"

for dev in $(blkid -o device -t LABEL="$label" 2>/dev/null); do
	type=$(blkid -o value -s TYPE "$dev" 2>/dev/null)
	case $type in
	iso9660 | udf | vfat | ext4 | squashfs) ;;
	*) continue ;;
	esac
	mount -o ro -t "$type" "$dev" "$mnt" 2>/dev/null || continue
	if [ -f "$mnt/cairn/dom0.squashfs" ] && [ -f "$mnt/cairn/dom0.verity" ]; then
		echo "$dev" >/run/cairn/medium-found
		cairn_say "cairn: boot medium $dev"
		exit 0
	fi
	umount "$mnt"
done
exit 0
