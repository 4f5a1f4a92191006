#!/bin/bash
# shellcheck disable=SC2154 # moddir is set by dracut
# dracut module for the service VMs (NDVM, UIVM): the root is the VM's image,
# exported read-only by dom0 as xvda (dom0 opened it through dm-verity against
# the root hash in its own verified image); mount it read-only under an overlay
# whose upper layer is tmpfs, so every boot of the VM starts clean.

check() {
	# Only included when asked for (dracut --modules cairn-vm).
	return 255
}

depends() {
	return 0
}

installkernel() {
	instmods xen_blkfront squashfs overlay
}

install() {
	inst_multiple mount umount mkdir cat sleep
	inst_hook cmdline 20 "$moddir/cairn-vm-cmdline.sh"
	inst_hook mount 50 "$moddir/cairn-vm-mount.sh"
}
