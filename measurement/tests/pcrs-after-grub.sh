#!/usr/bin/env bash
# pcrs-after-grub.sh ISO [WORKDIR]: boot ISO under OVMF + swtpm until GRUB has handed over
# (the serial console shows Xen or Linux), kill QEMU hard (a clean exit would shut swtpm's
# TPM down) and read the SHA-256 PCRs 0-9 from the still-running swtpm through its control
# socket.  Prints "N: hex" lines; compare PCR 8/9 with `cairn-measure predict --iso ISO`.
# A manual check of the prediction against real GRUB (about 15 s under TCG); not in meson.
set -euo pipefail
ISO=$1
W=${2:-$(mktemp -d /tmp/cairn-pcrs-after-grub.XXXXXX)}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$W/tpm"
swtpm socket --tpm2 --tpmstate dir="$W/tpm" --ctrl type=unixio,path="$W/ctrl.sock" \
	--flags not-need-init --log file="$W/swtpm.log" &
SW=$!
QEMU=
cleanup() {
	if [ -n "$QEMU" ]; then kill -9 "$QEMU" 2>/dev/null || true; fi
	kill "$SW" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do [ -S "$W/ctrl.sock" ] && break; sleep 0.1; done
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$W/vars.fd"
qemu-system-x86_64 -machine q35 -accel tcg -cpu max,-smap -m 1024 -smp 1 -no-reboot \
	-display none -serial file:"$W/serial.log" -monitor none \
	-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive if=pflash,format=raw,unit=1,file="$W/vars.fd" \
	-chardev socket,id=chrtpm,path="$W/ctrl.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-tis,tpmdev=tpm0 -cdrom "$ISO" &
QEMU=$!
for _ in $(seq 180); do
	sleep 1
	kill -0 "$QEMU" 2>/dev/null || { echo "QEMU exited early; see $W/serial.log" >&2; exit 1; }
	grep -q -a -E '\(XEN\)|Xen 4|Linux version' "$W/serial.log" 2>/dev/null && break
done
kill -9 "$QEMU"
wait "$QEMU" 2>/dev/null || true
QEMU=
sleep 0.5
python3 "$HERE/swtpm-pcrread.py" "$W/ctrl.sock"
