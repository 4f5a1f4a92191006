#!/bin/sh
# dracut pre-pivot hook of the TEST variant only: a root shell on the serial
# console: hvc0 under Xen (Xen forwards it to COM1), ttyS0 without Xen.
mkdir -p "$NEWROOT/etc/systemd/system/multi-user.target.wants"
for tty in hvc0 ttyS0; do
	if [ "$tty" = hvc0 ]; then cond="ConditionPathExists=/sys/hypervisor/type"; else
		cond="ConditionPathExists=!/sys/hypervisor/type"; fi
	cat >"$NEWROOT/etc/systemd/system/cairn-test-shell-$tty.service" <<UNIT
[Unit]
Description=Cairn test variant: root shell on $tty (never in a release image)
After=systemd-user-sessions.service cairn-dom0-ready.service cairn-ready-nohv.service
$cond

[Service]
Environment=TERM=dumb "PS1=cairn-test# "
ExecStart=/bin/bash --norc -i
StandardInput=tty-force
StandardOutput=tty
StandardError=tty
TTYPath=/dev/$tty
TTYReset=yes
Restart=always
RestartSec=1
UNIT
	ln -sf "../cairn-test-shell-$tty.service" \
		"$NEWROOT/etc/systemd/system/multi-user.target.wants/cairn-test-shell-$tty.service"
done
echo "cairn: TEST VARIANT: root shell on the serial console" >/dev/kmsg

# Tests that need no service VMs boot faster without them: the harness then
# passes the SMBIOS OEM string cairn.test.autostart=off (QEMU -smbios type=11),
# and cairn-vmd starts with --no-autostart (its unit takes $CAIRN_VMD_OPTIONS).
if grep -qa 'cairn\.test\.autostart=off' /sys/firmware/dmi/tables/DMI 2>/dev/null; then
	mkdir -p "$NEWROOT/etc/systemd/system/cairn-vmd.service.d"
	printf '[Service]\nEnvironment=CAIRN_VMD_OPTIONS=--no-autostart\n' \
		>"$NEWROOT/etc/systemd/system/cairn-vmd.service.d/50-test-no-autostart.conf"
	echo "cairn: TEST VARIANT: no autostart of the service VMs (SMBIOS OEM string)" >/dev/kmsg
fi
