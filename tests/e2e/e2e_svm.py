"""End-to-end tests of the service VMs (issue: dom0 toolstack and service VMs).

The test ISO boots in QEMU (OVMF, an emulated VT-d IOMMU so that Xen can pass
devices through, an e1000e NIC on restricted user networking).  cairn-vmd starts
the service VMs at boot (`autostart=yes`), the NDVM first and then the UIVM, from
the read-only images on the medium; the tests wait for their console lines.

- e2e_vms_ndvm: the console lines, the NIC bound to pciback in dom0 and owned
  by the NDVM, its DHCP lease, a file written in the NDVM gone after `xl
  destroy` (vmd restarts it and it gets its lease again), and a test PV guest
  whose vif has the NDVM as back end pinging the NDVM's bridge address.
- e2e_vms_uivm_rpc: from inside the UIVM, ListVMs through cairn-rpc-proxy works,
  the NDVM's ListInterfaces (cairn-netd, on the NDVM's own bus, reached through
  dom0 by a via=ndvm rule) shows the NDVM's lease and bridge, and a denied call
  returns AccessDenied and is logged in dom0; a malformed VM definition and a
  malformed rules file are reported and change nothing else.

Shells inside a service VM: the images carry cairn-test-shell.service, which
runs only when the VM's kernel command line has "cairn.test_shell".  The test
adds that word to the VM's definition in dom0 (the test ISO's root shell), restarts
the VM and reaches its hvc0 with `xl console`.
"""
import contextlib
import re
import subprocess
import time

from harness import Machine, Skip, TestFailure
from e2e_iso import BOOT_TIMEOUT, READY, check
from e2e_vmd import guest_archive, journal, seen, vm_json, wait_seen, wait_vm

ORDER = 42
NDVM_LEASE = r"cairn: ndvm lease (\d+\.\d+\.\d+\.\d+)"
BRIDGE = "10.77.0.1"
GUEST_IP = "10.77.0.50"
# QEMU's user-mode network answers pings to its gateway, even with restrict=on,
# whatever their source address; the uplink's capture shows the masquerading.
UPLINK_GW = "10.0.2.2"

# The test guest's /init: load xen-netfront, give eth0 an address on the NDVM's
# guest network, ping the bridge, then (default route through the bridge) the
# uplink's gateway, say each on the console, then wait.
PING_INIT_C = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static void say(const char *s) { write(1, s, strlen(s)); }

static unsigned short csum(const void *p, int n) {
        const unsigned short *w = p; unsigned sum = 0;
        for (; n > 1; n -= 2) sum += *w++;
        if (n) sum += *(const unsigned char *) w;
        sum = (sum >> 16) + (sum & 0xffff); sum += sum >> 16;
        return ~sum;
}

/* ICMP echo to addr, once a second, up to tries times: the sequence number of the
 * first reply, 0 for none. */
static int ping(int r, const char *addr, int tries) {
        struct sockaddr_in to = { .sin_family = AF_INET };
        inet_pton(AF_INET, addr, &to.sin_addr);
        for (int seq = 1; seq <= tries; seq++) {
                struct icmphdr h = { .type = ICMP_ECHO };
                h.un.echo.id = htons(0xca1); h.un.echo.sequence = htons(seq);
                h.checksum = csum(&h, sizeof(h));
                sendto(r, &h, sizeof(h), 0, (struct sockaddr *) &to, sizeof(to));
                unsigned char buf[256];
                ssize_t n = recv(r, buf, sizeof(buf), 0);
                if (n >= (ssize_t) (sizeof(struct iphdr) + sizeof(struct icmphdr))) {
                        struct iphdr *ip = (struct iphdr *) buf;
                        struct icmphdr *rh = (struct icmphdr *) (buf + ip->ihl * 4);
                        if (ip->saddr == to.sin_addr.s_addr && rh->type == ICMP_ECHOREPLY &&
                            rh->un.echo.id == htons(0xca1))
                                return seq;
                }
        }
        return 0;
}

int main(void) {
        char msg[160];
        int fd = open("/xen-netfront.ko", O_RDONLY);
        if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0) { say("cairn-test-vm: cannot load xen-netfront\n"); for (;;) pause(); }
        close(fd);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct ifreq ifr;
        for (int i = 0; i < 100; i++) {
                memset(&ifr, 0, sizeof(ifr)); strcpy(ifr.ifr_name, "eth0");
                if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) break;
                usleep(100000);
        }
        struct sockaddr_in *a = (struct sockaddr_in *) &ifr.ifr_addr;
        memset(&ifr, 0, sizeof(ifr)); strcpy(ifr.ifr_name, "eth0");
        a->sin_family = AF_INET; inet_pton(AF_INET, "@GUEST@", &a->sin_addr);
        if (ioctl(s, SIOCSIFADDR, &ifr) != 0) say("cairn-test-vm: SIOCSIFADDR failed\n");
        inet_pton(AF_INET, "255.255.255.0", &a->sin_addr);
        if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0) say("cairn-test-vm: SIOCSIFNETMASK failed\n");
        memset(&ifr, 0, sizeof(ifr)); strcpy(ifr.ifr_name, "eth0");
        ioctl(s, SIOCGIFFLAGS, &ifr); ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) say("cairn-test-vm: cannot bring eth0 up\n");
        say("cairn-test-vm: eth0 is @GUEST@/24\n");

        int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        struct timeval tv = { 1, 0 };
        setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int seq = ping(r, "@BRIDGE@", 120);
        snprintf(msg, sizeof(msg), seq ? "cairn-test-vm: ping @BRIDGE@ ok (reply %d)\n" :
                 "cairn-test-vm: ping @BRIDGE@ failed\n", seq);
        say(msg);
        if (!seq)
                for (;;) pause();

        /* Beyond the NDVM: the default route through the bridge, and the uplink's
         * gateway, which only answers the NDVM's own address (masquerading). */
        struct rtentry rt;
        memset(&rt, 0, sizeof(rt));
        ((struct sockaddr_in *) &rt.rt_dst)->sin_family = AF_INET;
        ((struct sockaddr_in *) &rt.rt_genmask)->sin_family = AF_INET;
        ((struct sockaddr_in *) &rt.rt_gateway)->sin_family = AF_INET;
        inet_pton(AF_INET, "@BRIDGE@", &((struct sockaddr_in *) &rt.rt_gateway)->sin_addr);
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        if (ioctl(s, SIOCADDRT, &rt) != 0) say("cairn-test-vm: SIOCADDRT failed\n");
        seq = ping(r, "@UPLINK@", 60);
        snprintf(msg, sizeof(msg), seq ? "cairn-test-vm: ping @UPLINK@ ok (reply %d)\n" :
                 "cairn-test-vm: ping @UPLINK@ failed\n", seq);
        say(msg);
        for (;;) pause();
}
"""


def build_ping_guest(t):
    """out/tests/NAME/netguest.tar: dom0's kernel, a ramdisk with the ping /init and
    xen-netfront.ko (from the dom0 base the image was built from)."""
    src = (PING_INIT_C.replace("@GUEST@", GUEST_IP).replace("@BRIDGE@", BRIDGE)
           .replace("@UPLINK@", UPLINK_GW))
    base = (t.images / "dom0.base").read_text().strip()
    kos = sorted(subprocess.run(["find", base + "/usr/lib/modules", "-name", "xen-netfront.ko"],
                                capture_output=True, text=True).stdout.split())
    check(kos, f"no xen-netfront.ko in {base}")
    with open(kos[-1], "rb") as f:
        ko = f.read()
    return guest_archive(t, "netguest", src, [("xen-netfront.ko", ko)])


def boot(t, name, disks=(), extra_args=()):
    return Machine(t.outdir, iso=t.test_iso, firmware="ovmf", boot="cd", tpm=False, smp=2,
                   memory=2560, net=True, iommu=True, disks=list(disks), name=name, autostart=True,
                   extra_args=list(extra_args))


def uplink_pings(pcap):
    """The ICMP echo requests to UPLINK_GW in a pcap of the NDVM's uplink (QEMU's
    filter-dump on the user network): their IPv4 source addresses, in order."""
    data = pcap.read_bytes()
    check(len(data) >= 24 and data[:4] == b"\xd4\xc3\xb2\xa1", f"{pcap} is not a little-endian pcap")
    sources, pos, gw = [], 24, bytes(int(x) for x in UPLINK_GW.split("."))
    while pos + 16 <= len(data):
        incl = int.from_bytes(data[pos + 8:pos + 12], "little")
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] == 1 and ip[16:20] == gw and len(ip) > ihl and ip[ihl] == 8:
            sources.append(".".join(str(b) for b in ip[12:16]))
    return sources


LEASE_TIMEOUT = 600
FAILED = r"cairn: (?:ndvm|uivm) (?:failed|image [a-z]+): [^\r\n]*"


def wait_service_vms(m):
    """dom0 ready, then (started at boot, nothing asked) the NDVM running, the UIVM
    running, and the NDVM's lease."""
    idx, match = m.wait_for_any([READY, r"cairn: (boot failed|dom0 failed): [^\r\n]*\n"], timeout=BOOT_TIMEOUT)
    check(idx == 0, f"dom0 did not come up: {match.group(0)}")
    wait_seen(m, r"cairn: ndvm running", 0, 400, FAILED)
    wait_seen(m, r"cairn: uivm running", 0, 400, FAILED)
    text = m.console.text()
    order = [text.find(s) for s in ("cairn: ndvm running", "cairn: uivm running")]
    check(order == sorted(order), f"the service VMs came up out of order: {order}")
    m.shell("dmesg -n 1")
    # The NDVM boots under TCG, beside the UIVM: its lease came 250 s after the UIVM
    # ran, with another QEMU on the machine.  A limit, not a speed target.
    try:
        return wait_seen(m, NDVM_LEASE, 0, LEASE_TIMEOUT, FAILED)
    except TestFailure:
        return None


def net_links(m):
    """dom0's network interfaces (a "cairn: ..." status line in the output is not one)."""
    return [w for line in m.shell("ls -1 /sys/class/net").splitlines()
            if not line.startswith("cairn: ") for w in line.split()]


def enable_test_shell(m, vm):
    """Restart VM with cairn.test_shell on its command line (see the module doc)."""
    path = f"/usr/share/cairn/vms/{vm}.vm"
    m.shell(f"sed -i '/^cmdline=/ s/$/ cairn.test_shell/' {path} && grep -q 'cairn.test_shell' {path} "
            "&& systemctl reload cairn-vmd")
    old = wait_vm(m, vm, "running", timeout=300)["domid"]
    m.shell(f"cairnctl restart {vm}")
    return wait_vm(m, vm, "running", timeout=240, not_domid=old)


@contextlib.contextmanager
def vm_console(m, vm, timeout=240):
    """The serial shell attached to VM's hvc0 through `xl console`; m.shell()
    runs commands inside the VM until the block ends (Ctrl-] detaches)."""
    con = m.console
    con.skip_to_end()
    con.write(f"xl console {vm}\n")
    deadline = time.monotonic() + timeout
    while True:
        con.write(b"\n")
        try:
            con.wait_for(rf"root@{vm}:[^\n]*# $", timeout=5)
            break
        except TestFailure:
            if time.monotonic() > deadline:
                raise TestFailure(f"no test shell on {vm}'s console after {timeout}s")
    try:
        host = m.shell("hostname").strip()
        check(host == vm, f"the shell on {vm}'s console says it is {host!r}")
        yield
    finally:
        con.write(b"\x1d")
        time.sleep(1)
        con.skip_to_end()
        host = m.shell("hostname").strip()
        check(host != vm, f"still inside {vm} after Ctrl-]")


def e2e_vms_ndvm(t):
    """NDVM: lease, NIC passed through, reset on restart, xl destroy -> restart, guest ping."""
    if not t.test_iso.exists():
        raise Skip("no test ISO; run ./build.sh images")
    tar = build_ping_guest(t)
    # Every frame on the NDVM's uplink, as QEMU's user network sees it: the guest's
    # pings must leave the NDVM with the NDVM's own address (masqueraded).
    pcap = t.outdir / "uplink.pcap"
    with boot(t, "ndvm", disks=[str(tar)],
              extra_args=["-object", f"filter-dump,id=uplink,netdev=n0,file={pcap}"]) as m:
        lease = wait_service_vms(m)
        problems = []
        if lease is None:
            problems.append(f"no 'cairn: ndvm lease ADDRESS' line within {LEASE_TIMEOUT} s of the UIVM running")
        m.mark("checks")
        listed = m.shell("cairnctl list --json")
        for vm in ("ndvm", "uivm"):
            check(re.search(r'"name":"%s"[^}]*"state":"running"' % vm, listed), f"{vm} is not running:\n{listed}")

        # dom0: the NIC (class 0x02) is bound to pciback and dom0 has no interface on it.
        nics = m.shell("for d in /sys/bus/pci/devices/*; do case $(cat $d/class) in 0x02*) "
                       "echo \"$(basename $d) $(basename $(readlink -f $d/driver 2>/dev/null || echo none))\";; "
                       "esac; done")
        # (A "cairn: ..." status line may land in the output: take the "BDF driver" pairs.)
        nics = re.findall(r"^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) (\S+)$", nics, re.M)
        check(nics and nics[0][1] == "pciback", f"the NIC is not bound to pciback in dom0: {nics}")
        bdf = nics[0][0]
        links = net_links(m)
        check(links == ["lo"], f"dom0 has network interfaces besides lo: {links}")
        pcilist = m.shell("xl pci-list ndvm")
        check(bdf in pcilist, f"{bdf} is not assigned to the NDVM:\n{pcilist}")

        # Inside the NDVM: the lease is on the passed-through NIC; write a file.
        n = len(seen(m, NDVM_LEASE))
        enable_test_shell(m, "ndvm")
        try:
            lease = wait_seen(m, NDVM_LEASE, n, LEASE_TIMEOUT, FAILED)
        except TestFailure as e:
            lease = None
            problems.append(f"after a restart: {e}")
        with vm_console(m, "ndvm"):
            addrs = m.shell("ip -4 -o addr show scope global")
            diag = m.shell("networkctl --no-pager -a; networkctl --no-pager status -a | head -60; "
                           "journalctl -b -u systemd-networkd --no-pager -o cat | tail -25", check=False)[1]
            (t.outdir / "ndvm-network.txt").write_text(addrs + "\n" + diag)
            if lease:
                if not re.search(rf"\b(en\S+|eth\d+)\s+inet {re.escape(lease)}/", addrs):
                    problems.append(f"the NDVM's NIC does not hold the announced lease {lease}:\n{addrs}")
                leases = m.shell("cat /run/systemd/netif/leases/* 2>&1", check=False)[1]
                if f"ADDRESS={lease}" not in leases:
                    problems.append(f"networkd's lease file does not hold {lease}:\n{leases}")
            check(f"inet {BRIDGE}/24" in addrs, f"the NDVM's guest bridge has no {BRIDGE}:\n{addrs}\n{diag}")
            m.shell("echo written-before-restart > /root/marker && sync && cat /root/marker")
        m.mark("ndvm checked")

        # A PV guest whose vif has the NDVM as back end reaches the bridge.
        disk = m.shell("for d in /dev/sd?; do tar -tf $d 2>/dev/null | grep -q initrd.cpio && echo $d; done").strip()
        check(disk.startswith("/dev/sd"), f"no disk holds the guest archive: {disk!r}")
        m.shell(f"mkdir -p /run/netguest/vms && tar -xf {disk} -C /run/netguest")
        m.shell("printf '%s\\n' name=netguest type=pv memory=96 kernel=/run/netguest/vmlinuz "
                "ramdisk=/run/netguest/initrd.cpio 'cmdline=console=hvc0' "
                "nic=backend=ndvm,bridge=br-guests > /usr/share/cairn/vms/netguest.vm "
                "&& systemctl reload cairn-vmd")
        wait_vm(m, "netguest", "stopped", timeout=60)
        m.shell("cairnctl start netguest")
        wait_vm(m, "netguest", "running", timeout=240)
        m.console.skip_to_end()
        m.console.write("xl console netguest\n")
        guest_failed = r"cairn-test-vm: [^\n]*fail[^\n]*"

        def detach():
            m.console.write(b"\x1d")
            time.sleep(1)

        idx, match = m.wait_for_any([rf"cairn-test-vm: ping {BRIDGE} ok", guest_failed], timeout=240)
        if idx != 0:
            detach()
            check(False, f"the test guest could not reach the NDVM's bridge: {match.group(0)}")
        # Then, default route through the bridge, the uplink's gateway, through the
        # NDVM's forwarding; QEMU's capture of the uplink shows whether the pings
        # left the NDVM masqueraded (a reply alone would not: libslirp may answer
        # the guest's own address too, learning the MAC of any source it sees).
        idx, match = m.wait_for_any([rf"cairn-test-vm: ping {UPLINK_GW} ok", guest_failed], timeout=120)
        detach()
        check(idx == 0, f"the test guest reached the NDVM but not the uplink's gateway {UPLINK_GW}: "
                        f"{match.group(0)}")
        sources = uplink_pings(pcap)
        check(sources and GUEST_IP not in sources,
              f"the guest's pings to {UPLINK_GW} did not leave the NDVM masqueraded: sources on the uplink "
              f"{sorted(set(sources))} (the guest is {GUEST_IP})")
        if lease:
            check(set(sources) == {lease}, f"pings to {UPLINK_GW} left the NDVM from {sorted(set(sources))}, "
                                           f"not its lease {lease}")
        print(f"uplink capture: {len(sources)} echo requests to {UPLINK_GW}, from {sorted(set(sources))}")
        vifs = net_links(m)
        check(vifs == ["lo"], f"dom0 got an interface for the guest's vif: {vifs}")
        m.shell("cairnctl stop netguest")
        m.mark("guest pinged the ndvm and through it the uplink")

        # xl destroy: vmd notices, restarts it; the new NDVM gets a lease again and
        # the file written before is gone (tmpfs upper layer).
        first = vm_json(m, "ndvm")["domid"]
        n = len(seen(m, NDVM_LEASE))
        m.shell("xl destroy ndvm")
        v = wait_vm(m, "ndvm", "running", timeout=300, not_domid=first)
        if lease:
            wait_seen(m, NDVM_LEASE, n, 400, FAILED)
        log = journal(m, "ndvm")
        check("destroyed outside cairn-vmd" in log, f"the journal does not record the crash:\n{log}")
        check(re.search(r"ndvm: .*restart", log), f"the journal does not record the restart:\n{log}")
        m.mark("ndvm restarted")
        with vm_console(m, "ndvm"):
            rc, out = m.shell("cat /root/marker", check=False)
            check(rc != 0 and "written-before-restart" not in out,
                  f"a file written in the NDVM survived its restart: {out!r}")
        print(f"ndvm lease {lease}, restarted as domain {v['domid']}")
        check(not problems, "; ".join(problems) + f" (network state inside the NDVM: {t.outdir}/ndvm-network.txt)")


def e2e_vms_uivm_rpc(t):
    """UIVM: ListVMs and the NDVM's ListInterfaces through the proxy, a denied call,
    bad definition, bad rules."""
    if not t.test_iso.exists():
        raise Skip("no test ISO; run ./build.sh images")
    bus = "--address=unix:path=/run/cairn/rpc/dom0.sock"
    listvms = f"busctl {bus} call org.cairn.VMManager1 /org/cairn/VMManager1 org.cairn.VMManager1 ListVMs"
    interfaces = f"busctl {bus} call org.cairn.Network1 /org/cairn/Network1 org.cairn.Network1 ListInterfaces"
    with boot(t, "uivm") as m:
        lease = wait_service_vms(m)
        check(lease, f"no 'cairn: ndvm lease ADDRESS' line within {LEASE_TIMEOUT} s of the UIVM running")
        enable_test_shell(m, "uivm")
        with vm_console(m, "uivm"):
            out = ""
            for _ in range(30):  # the proxy's guest end comes up with the VM
                rc, out = m.shell(f"{listvms} 2>&1", check=False)
                if rc == 0:
                    break
                time.sleep(2)
            check("ndvm" in out and "uivm" in out, f"ListVMs through the proxy did not list the VMs:\n{out}")
            # cairn-netd answers on the NDVM's own bus; dom0 carries the call there
            # over the NDVM's link (rules: via=ndvm).  The answer has the NDVM's lease
            # on its uplink and its guests' bridge.
            for _ in range(30):
                rc, out = m.shell(f"{interfaces} 2>&1", check=False)
                if rc == 0 and lease in out:
                    break
                time.sleep(2)
            check(rc == 0, f"ListInterfaces of the NDVM through the proxy failed:\n{out}")
            check(f'"{lease}/' in out and f'"{BRIDGE}/' in out,
                  f"ListInterfaces through the proxy does not show the lease {lease} and the bridge {BRIDGE}:\n{out}")
            m.mark("the NDVM's interfaces read from the UIVM")
            rc, out = m.shell(f"busctl {bus} call org.cairn.VMManager1 /org/cairn/VMManager1 "
                              "org.freedesktop.DBus.Introspectable Introspect 2>&1", check=False)
            # busctl shows org.freedesktop.DBus.Error.AccessDenied as "Access denied".
            check(rc != 0 and re.search(r"access ?denied", out, re.I),
                  f"a call the rules do not allow was not refused with AccessDenied:\n{out}")
        log = m.shell("journalctl -b -u cairn-rpc-proxy --no-pager -o cat | grep 'Denied call' || true")
        check("domain uivm" in log and "member=Introspect" in log,
              f"dom0 did not log the denied call with domain and member:\n{log}")
        log = m.shell("journalctl -b -u cairn-rpc-proxy --no-pager -o cat | grep 'Domain ndvm' || true")
        check("Domain ndvm: dom0 is connected to its bus." in log,
              f"dom0's proxy did not connect to the NDVM's bus:\n{log}")
        # dom0 waits for the NDVM's end to connect before it opens a connection to
        # its bus, so the first one works: no closed connection and no retry.
        check("trying again" not in log, f"dom0's first connection to the NDVM's bus failed:\n{log}")
        m.mark("uivm calls checked")

        # A malformed VM definition: reported with file and line, the rest keeps running.
        m.shell("printf 'name=broken\\nmemory=lots\\n' > /usr/share/cairn/vms/broken.vm && systemctl reload cairn-vmd")
        wait_seen(m, r"cairn: bad VM definition /usr/share/cairn/vms/broken.vm:2: ", 0, 60)
        listed = m.shell("cairnctl list --json")
        check("broken" not in listed, f"the broken definition was taken:\n{listed}")
        for vm in ("ndvm", "uivm"):
            check(re.search(r'"name":"%s"[^}]*"state":"running"' % vm, listed), f"{vm} stopped:\n{listed}")

        # A malformed rules file: refused with file and line, the last good rules stay.
        m.shell("echo 'allow uivm call destination=org.cairn.VMManager1 bogus' >> /usr/share/cairn/rpc-proxy.rules "
                "&& systemctl reload cairn-rpc-proxy")
        time.sleep(3)
        log = m.shell("journalctl -b -u cairn-rpc-proxy --no-pager -o cat | tail -20")
        check(re.search(r"rpc-proxy\.rules:\d+:", log), f"the bad rules file was not reported with its line:\n{log}")
        check(m.shell("systemctl is-active cairn-rpc-proxy", check=False)[1].strip() == "active",
              "cairn-rpc-proxy stopped after a bad rules file")
        with vm_console(m, "uivm"):
            rc, out = m.shell(f"{listvms} 2>&1", check=False)
            check(rc == 0 and "ndvm" in out, f"after a bad rules file the UIVM's ListVMs fails:\n{out}")
        m.mark("bad inputs checked")

