#!/bin/sh
# mount hook: squashfs from xvda (read-only), tmpfs upper, overlay at $NEWROOT.
say() {
	echo "$*" >/dev/kmsg 2>/dev/null
	echo "$*" >/dev/console 2>/dev/null
}
fatal() {
	say "cairn: vm boot failed: $*"
	# Power the VM off: dom0's cairn-vmd sees a crash and applies the VM's
	# restart policy (and gives up after its limit, saying so on dom0's console).
	echo o >/proc/sysrq-trigger
	sleep 30
}

lower=/run/cairn/lower
rw=/run/cairn/rw
[ -b /dev/xvda ] || fatal "no root disk (xvda): dom0 did not export this VM's image"
mkdir -p "$lower" "$rw"
mount -t squashfs -o ro /dev/xvda "$lower" || fatal "cannot mount the VM image on xvda (squashfs)"
mount -t tmpfs -o mode=0755 cairn-rw "$rw" || fatal "cannot mount the tmpfs for the writable layer"
mkdir -p "$rw/upper" "$rw/work"
mount -t overlay -o "lowerdir=$lower,upperdir=$rw/upper,workdir=$rw/work" cairn-root "$NEWROOT" ||
	fatal "cannot mount the overlay root"
