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
