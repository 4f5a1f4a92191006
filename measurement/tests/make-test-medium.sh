#!/usr/bin/env bash
# make-test-medium.sh DIR [VARIANT]: a small Cairn-like boot tree (the ISO layout) for
# tests and benchmarks: the GRUB stub and menu, Debian's x86_64-efi GRUB modules, and
# stand-in Xen/kernel/initramfs files.  VARIANT changes the dom0 command line ("cmdline")
# or the dom0 image root hash ("image").  Exits 77 when GRUB's EFI modules are missing.
set -euo pipefail
D=$1
V=${2:-}
M=/usr/lib/grub/x86_64-efi
[ -f "$M/tpm.mod" ] || { echo "SKIP: $M (grub-efi-amd64-bin) not installed"; exit 77; }
mkdir -p "$D/boot/grub/x86_64-efi" "$D/cairn"
cp "$M"/*.mod "$M"/*.lst "$D/boot/grub/x86_64-efi/"
cat >"$D/boot/grub/grub.cfg" <<'CFG'
set superusers="cairn-admin"
export superusers
if [ "$grub_platform" = "efi" ]; then insmod tpm; fi
configfile /boot/grub/cairn.cfg
CFG
ROOTHASH=6f1c5b0a8e2d4c7b9a3e5f1d2c4b6a8e0f1d3c5b7a9e2f4d6c8b0a1e3f5d7c9b
[ "$V" = image ] && ROOTHASH=0000000000000000000000000000000000000000000000000000000000000001
EXTRA=
[ "$V" = cmdline ] && EXTRA=" debug"
cat >"$D/boot/grub/cairn.cfg" <<CFG
set timeout=3
set default=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry "Cairn" --unrestricted {
	multiboot2 /boot/xen.gz console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M
	module2 /boot/vmlinuz console=hvc0 cairn.verity=$ROOTHASH$EXTRA
	module2 /boot/initrd.img
}
CFG
head -c 1200000 /dev/zero | tr '\0' 'X' >"$D/boot/xen.gz"
head -c 8000000 /dev/zero | tr '\0' 'K' >"$D/boot/vmlinuz"
head -c 30000000 /dev/zero | tr '\0' 'I' >"$D/boot/initrd.img"
