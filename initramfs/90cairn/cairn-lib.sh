#!/bin/sh
# Shared functions of Cairn's initramfs hooks.

# cairn_say TEXT: one status line on every active console (screen and serial)
# and in the kernel log.
cairn_say() {
	_c=""
	[ -r /sys/class/tty/console/active ] && read -r _c </sys/class/tty/console/active
	[ -n "$_c" ] || _c=console
	for _t in $_c; do
		[ -c "/dev/$_t" ] && echo "$*" >"/dev/$_t" 2>/dev/null
	done
	echo "<5>$*" >/dev/kmsg 2>/dev/null
	return 0
}

# cairn_fatal TEXT: stop the boot with a clear message; never a shell.
cairn_fatal() {
	cairn_say "cairn: boot failed: $*"
	cairn_say "cairn: the system is halted. Power it off, write the Cairn image to the medium again (or use another copy), and boot again."
	: >/run/cairn/failed
	# Keep the message on screen: no panic, no reboot loop, no shell.
	while :; do
		sleep 3600
	done
}

# cairn_arg NAME: the value of NAME=... on the kernel command line.
cairn_arg() {
	for _a in $(cat /proc/cmdline); do
		case $_a in
		"$1"=*) echo "${_a#*=}"; return 0 ;;
		esac
	done
	return 1
}

# cairn_find_config: the first block device holding a LUKS volume labelled
# "cairn-config" (whole disk or partition); prints nothing when there is none.
cairn_find_config() {
	for _s in /sys/class/block/*; do
		_n=${_s##*/}
		case $_n in
		loop* | ram* | dm-* | sr* | zram*) continue ;;
		esac
		[ -b "/dev/$_n" ] || continue
		if [ "$(blkid -p -o value -s TYPE "/dev/$_n" 2>/dev/null)" = crypto_LUKS ] &&
			[ "$(blkid -p -o value -s LABEL "/dev/$_n" 2>/dev/null)" = cairn-config ]; then
			echo "/dev/$_n"
			return 0
		fi
	done
	return 1
}
