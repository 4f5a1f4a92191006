#!/usr/bin/env bash
# Shared customisation of the service-VM images (NDVM, UIVM), sourced by their
# `customize` with the image root as $1.  Like dom0: no login anywhere, root
# locked, an empty machine-id, nothing idle that slows the boot down.
set -euo pipefail
root=$1

for unit in getty@.service serial-getty@.service console-getty.service autovt@.service \
	container-getty@.service debug-shell.service getty.target \
	e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \
	dpkg-db-backup.timer fstrim.timer sys-kernel-debug.mount sys-kernel-tracing.mount \
	sys-kernel-config.mount sys-fs-fuse-connections.mount systemd-binfmt.service \
	proc-sys-fs-binfmt_misc.automount systemd-pstore.service modprobe@efi_pstore.service \
	systemd-logind.service systemd-timesyncd.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
rm -f "$root"/etc/systemd/system/getty.target.wants/*
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
# The root file system is the read-only image under a tmpfs overlay, set up by
# the initramfs (initramfs/90cairn-vm): nothing to mount or check.
: >"$root/etc/fstab"
install -m 0644 "$(dirname "${BASH_SOURCE[0]}")/cairn-test-shell.service" "$root/etc/systemd/system/"
systemctl --root="$root" enable cairn-rpc-proxy-guest.service cairn-test-shell.service

if ! grep -q '^root:[*!]' "$root/etc/shadow"; then
	echo "customize: root account in $root/etc/shadow is not locked" >&2
	exit 1
fi
: >"$root/etc/machine-id"
