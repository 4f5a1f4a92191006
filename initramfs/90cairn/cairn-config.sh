#!/bin/sh
# pre-pivot hook: find Cairn's config volume (LUKS2, label "cairn-config") on any
# attached disk, unseal its key with the TPM, open it and mount it at
# $NEWROOT/config.  No volume: a plain live boot, nothing is said.  When the TPM
# does not release the key, dom0 still boots with /config locked; the line
# "cairn: config locked: <reason>" is shown and /run/cairn/config-locked tells
# dom0's cairn-config-recovery.service to explain and ask, on dom0's own tty1:
# for the TPM PIN when that is all that is missing (exit 9: the measurements
# match), else for the recovery passphrase.  The initramfs itself never asks.
# shellcheck source=initramfs/90cairn/cairn-lib.sh
. /lib/cairn-lib.sh

[ -e /run/cairn/failed ] && return 0 2>/dev/null

# Disks that appear together with the boot medium may still be being probed.
udevadm settle --timeout=10 >/dev/null 2>&1

dev=$(cairn_find_config)
if [ -z "$dev" ]; then
	unset dev
	return 0 2>/dev/null || exit 0
fi

# The TPM driver (tpm_tis/tpm_crb) is loaded by udev from the ACPI table; give
# the resource manager device a moment to appear.
for _i in 1 2 3 4 5 6 7 8 9 10; do
	[ -c /dev/tpmrm0 ] && break
	sleep 0.5
done

start=$(cut -d' ' -f1 /proc/uptime)
cairn-config unlock --device "$dev" --name cairn-config >/run/cairn/config.out 2>/run/cairn/config.log
rc=$?
unsealed=$(cut -d' ' -f1 /proc/uptime)
while IFS= read -r _l; do cairn_say "$_l"; done </run/cairn/config.out
if [ "$rc" -ne 0 ]; then
	# cairn-config printed the reason (exit codes: docs/measurement.md).
	[ -s /run/cairn/config.out ] || cairn_say "cairn: config locked: $(tail -n 1 /run/cairn/config.log)"
	printf '%s\n%s\n' "$dev" "$rc" >/run/cairn/config-locked
	unset dev rc start unsealed
	return 0 2>/dev/null || exit 0
fi

map=/dev/mapper/cairn-config
# A new volume has no file system yet: make one (only when nothing at all is on it).
if ! blkid -p "$map" >/dev/null 2>&1; then
	mkfs.ext4 -q -L cairn-config -E lazy_itable_init=0 "$map" >/run/cairn/config-mkfs.log 2>&1 ||
		cairn_say "cairn: config volume: cannot make a file system on it (see /run/cairn/config-mkfs.log)"
fi
mkdir -p "$NEWROOT/config"
if mount -t ext4 -o nodev,nosuid,noexec "$map" "$NEWROOT/config" 2>/run/cairn/config-mount.log; then
	end=$(cut -d' ' -f1 /proc/uptime)
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }' >/run/cairn/config-unlock-seconds
	awk -v s="$start" -v e="$unsealed" 'BEGIN { printf "%.2f\n", e - s }' >/run/cairn/config-unseal-seconds
	echo "<6>cairn: config volume $dev unsealed and opened in $(cat /run/cairn/config-unseal-seconds) s, mounted after $(cat /run/cairn/config-unlock-seconds) s" >/dev/kmsg
else
	cairn_say "cairn: config locked: the volume opened but its file system does not mount ($(tail -n 1 /run/cairn/config-mount.log))"
	printf '%s\n%s\n' "$dev" mount >/run/cairn/config-locked
fi
unset dev rc start end map unsealed
