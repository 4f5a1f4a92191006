#!/bin/bash
# shellcheck disable=SC2154 # moddir, hookdir are set by dracut
# dracut module: find Cairn's boot medium, open dom0.squashfs through dm-verity
# with the root hash from the kernel command line, and mount it read-only under
# an overlay whose upper layer is tmpfs.

check() {
	# Only included when asked for (dracut --add cairn / --modules).
	return 255
}

depends() {
	echo dm
	return 0
}

installkernel() {
	# Filesystems and device mapper targets for the root.
	instmods squashfs overlay loop dm_verity dm_mod isofs vfat nls_cp437 nls_iso8859_1 nls_utf8
	# Where the medium may be: CD (AHCI/IDE), USB stick (xHCI/EHCI/OHCI/UHCI, UAS),
	# SATA/NVMe/virtio disks.
	instmods sr_mod cdrom sd_mod ahci libahci ata_piix ata_generic \
		usb_storage uas xhci_pci xhci_hcd ehci_pci ehci_hcd ohci_pci ohci_hcd uhci_hcd \
		nvme virtio_blk virtio_scsi virtio_pci xen_blkfront hid_generic usbhid
	# The config volume: dm-crypt (AES-XTS), ext4, and the TPM (TIS and CRB).
	instmods dm_crypt xts aes_generic aesni_intel cbc sha256_generic ext4 crc32c_generic \
		tpm_tis tpm_tis_core tpm_crb
}

install() {
	inst_multiple veritysetup blkid blockdev tr losetup dmesg mount umount dd sleep cat mkdir rmdir cut awk tail grep \
		udevadm mkfs.ext4 cairn-config
	# Loaded at run time by tss2 (not seen by ldd).
	inst_libdir_file 'libtss2-tcti-device.so*'
	inst_script "$moddir/cairn-lib.sh" /lib/cairn-lib.sh
	inst_script "$moddir/cairn-find-medium.sh" /sbin/cairn-find-medium
	inst_hook cmdline 20 "$moddir/cairn-cmdline.sh"
	inst_hook initqueue/timeout 50 "$moddir/cairn-timeout.sh"
	inst_hook mount 50 "$moddir/cairn-mount.sh"
	inst_hook pre-pivot 50 "$moddir/cairn-config.sh"
}
