#!/bin/sh
# dracut pre-pivot hook of the TEST variant only: a root shell on hvc0.
mkdir -p "$NEWROOT/etc/systemd/system/multi-user.target.wants"
cat >"$NEWROOT/etc/systemd/system/cairn-test-shell.service" <<'UNIT'
[Unit]
Description=Cairn test variant: root shell on hvc0 (never in a release image)
After=systemd-user-sessions.service cairn-dom0-ready.service
ConditionPathExists=/dev/hvc0

[Service]
Environment=TERM=dumb "PS1=cairn-test# "
ExecStart=/bin/bash --norc -i
StandardInput=tty-force
StandardOutput=tty
StandardError=tty
TTYPath=/dev/hvc0
TTYReset=yes
Restart=always
RestartSec=1
UNIT
ln -sf ../cairn-test-shell.service \
	"$NEWROOT/etc/systemd/system/multi-user.target.wants/cairn-test-shell.service"
echo "cairn: TEST VARIANT: root shell on hvc0" >/dev/kmsg
