#!/bin/sh
# initqueue timeout hook: the medium never appeared.  Say what was seen.
# shellcheck source=initramfs/90cairn/cairn-lib.sh
. /lib/cairn-lib.sh

[ -e /run/cairn/medium-found ] && exit 0
label=$(cat /run/cairn/label 2>/dev/null)
seen=""
for sys in /sys/class/block/*; do
	name=${sys##*/}
	case $name in loop* | ram* | dm-* | zram*) continue ;; esac
	info=$(blkid -p -o value -s TYPE -s LABEL "/dev/$name" 2>/dev/null | tr '\n' ' ')
	seen="$seen $name(${info% })"
done
cairn_say "cairn: block devices seen:${seen:- none}"
cairn_fatal "boot medium not found: no device labelled '$label' holding cairn/dom0.squashfs appeared (was the USB stick or CD removed?)"
