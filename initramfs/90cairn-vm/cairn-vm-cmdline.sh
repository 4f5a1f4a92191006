#!/bin/sh
# cmdline hook: the root is /dev/xvda (the VM's read-only image); wait for it.
root=cairn-vm
rootok=1
export root rootok
# shellcheck disable=SC2154 # hookdir is set by dracut
echo '[ -b /dev/xvda ]' >"$hookdir/initqueue/finished/cairn-vm.sh"
