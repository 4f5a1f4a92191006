#!/bin/sh
# cmdline hook: read Cairn's parameters and tell dracut how to find the root.
# shellcheck source=initramfs/90cairn/cairn-lib.sh
. /lib/cairn-lib.sh

mkdir -p /run/cairn
cairn_say "cairn: initramfs started"

roothash=$(cairn_arg cairn.verity) || roothash=""
case $roothash in
"") cairn_fatal "no cairn.verity=<root hash> on the kernel command line" ;;
*[!0-9a-f]*) cairn_fatal "cairn.verity is not a hex root hash: $roothash" ;;
esac
echo "$roothash" >/run/cairn/roothash
label=$(cairn_arg cairn.medium) || label=CAIRN
echo "$label" >/run/cairn/label

# The root is ours to mount; nothing else should wait for a root device.
root=cairn
rootok=1
export root rootok

# Look for the medium whenever udev settles, until it is found.
/sbin/initqueue --settled --unique --name cairn-find-medium /sbin/cairn-find-medium
# shellcheck disable=SC2154 # hookdir is set by dracut
echo '[ -e /run/cairn/medium-found ]' >"$hookdir/initqueue/finished/cairn.sh"
