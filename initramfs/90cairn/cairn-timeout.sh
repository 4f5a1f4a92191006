#!/bin/sh
# initqueue timeout hook: the medium never appeared.
# shellcheck source=initramfs/90cairn/cairn-lib.sh
. /lib/cairn-lib.sh

[ -e /run/cairn/medium-found ] && exit 0
label=$(cat /run/cairn/label 2>/dev/null)
cairn_fatal "boot medium not found: no device labelled '$label' holding cairn/dom0.squashfs appeared (was the USB stick or CD removed?)"
