/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cairn-netd for real: a fresh network namespace with a veth pair, a private
 * dbus-daemon, cairn-netd on it; ip(8) changes links and addresses and the test
 * sees them in ListInterfaces after a Changed() signal.  Needs root (for the
 * namespace); skips (77) without it.
 * The bus has the default policy of Debian's system bus plus the shipped
 * org.cairn.Network1.conf, so the policy file is tested too.
 * Arguments: paths of cairn-netd, ip, org.cairn.Network1.xml, org.cairn.Network1.conf. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "test-dbus.h"
#include "util.h"

#define NAME "org.cairn.Network1"
#define PATH "/org/cairn/Network1"
#define WAIT_USEC (5 * 1000 * 1000ULL)

static const char *arg_netd, *arg_ip, *arg_xml, *arg_policy;
static char tmpdir[] = "/tmp/test-netd-XXXXXX";
static char lease_dir[256];
static pid_t dbus_pid = -1, netd_pid = -1;
static sd_bus *client;
static unsigned changed_count;

typedef struct Iface {
        char name[32], mac[64], link[16];
        char addrs[32][64];
        size_t n_addrs;
} Iface;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* Run ip with the given arguments; returns its exit status. */
static int ip(const char *fmt, ...) {
        char args[512], cmd[700];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(args, sizeof(args), fmt, ap);
        va_end(ap);
        snprintf(cmd, sizeof(cmd), "%s %s", arg_ip, args);
        return system(cmd);
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        changed_count++;
        return 0;
}

/* Process the client until Changed() has come after `since`, or time runs out. */
static bool wait_changed(unsigned since, uint64_t timeout) {
        uint64_t end = now_usec() + timeout;

        while (changed_count <= since) {
                uint64_t n = now_usec();
                int r;

                if (n >= end)
                        return false;
                r = sd_bus_process(client, NULL);
                assert_true(r >= 0);
                if (r > 0)
                        continue;
                assert_true(sd_bus_wait(client, end - n) >= 0);
        }
        return true;
}

/* Take in every signal already sent: wait until the client has been quiet for
 * 200 ms, so a Changed() counted afterwards is about what the test does next. */
static void settle(void) {
        for (;;) {
                int r = sd_bus_process(client, NULL);

                assert_true(r >= 0);
                if (r > 0)
                        continue;
                r = sd_bus_wait(client, 200 * 1000);
                assert_true(r >= 0);
                if (r == 0)
                        return;
        }
}

static size_t list(Iface *out, size_t max) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        size_t n = 0;
        int r;

        r = sd_bus_call_method(client, NAME, PATH, NAME, "ListInterfaces", &error, &reply, NULL);
        if (r < 0)
                fail_msg("ListInterfaces: %s: %s", error.name, error.message);
        assert_string_equal(sd_bus_message_get_signature(reply, true), "a(sssas)");
        assert_true(sd_bus_message_enter_container(reply, 'a', "(sssas)") > 0);
        while ((r = sd_bus_message_enter_container(reply, 'r', "sssas")) > 0) {
                const char *name, *mac, *link, *a;

                assert_true(n < max);
                memset(&out[n], 0, sizeof(out[n]));
                assert_true(sd_bus_message_read(reply, "sss", &name, &mac, &link) > 0);
                snprintf(out[n].name, sizeof(out[n].name), "%s", name);
                snprintf(out[n].mac, sizeof(out[n].mac), "%s", mac);
                snprintf(out[n].link, sizeof(out[n].link), "%s", link);
                assert_true(sd_bus_message_enter_container(reply, 'a', "s") > 0);
                while ((r = sd_bus_message_read(reply, "s", &a)) > 0) {
                        assert_true(out[n].n_addrs < 32);
                        snprintf(out[n].addrs[out[n].n_addrs++], 64, "%s", a);
                }
                assert_true(r >= 0);
                assert_true(sd_bus_message_exit_container(reply) >= 0);
                assert_true(sd_bus_message_exit_container(reply) >= 0);
                n++;
        }
        assert_true(r >= 0);
        return n;
}

/* noinline: gcc 12 with -fsanitize=address warns of an over-read in every caller. */
__attribute__((noinline)) static const Iface *find(const Iface *ifs, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(ifs[i].name, name) == 0)
                        return &ifs[i];
        return NULL;
}

static bool has_addr(const Iface *f, const char *a) {
        for (size_t i = 0; f && i < f->n_addrs; i++)
                if (strcmp(f->addrs[i], a) == 0)
                        return true;
        return false;
}

typedef bool (*pred_fn)(const Iface *ifs, size_t n);

/* List until pred holds, waiting for Changed() between tries. */
static bool wait_for(pred_fn pred, size_t *ret_n, Iface *ifs) {
        uint64_t end = now_usec() + WAIT_USEC;

        for (;;) {
                unsigned before = changed_count;
                size_t n = list(ifs, 16);

                *ret_n = n;
                if (pred(ifs, n))
                        return true;
                if (now_usec() >= end)
                        return false;
                (void) wait_changed(before, end - now_usec());
        }
}

/* ---- setup ---- */

/* The default policy of Debian's /usr/share/dbus-1/system.conf, then the shipped one. */
static pid_t spawn_dbus(char *addr, size_t size) {
        _cleanup_free_ char *policy = NULL;
        pid_t pid;

        assert_true(asprintf(&policy,
                   "<policy context=\"default\"><allow user=\"*\"/><deny own=\"*\"/>\n"
                   "<deny send_type=\"method_call\"/><allow send_type=\"signal\"/>\n"
                   "<allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                   "<allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                   "<allow receive_type=\"method_call\"/><allow receive_type=\"method_return\"/>\n"
                   "<allow receive_type=\"error\"/><allow receive_type=\"signal\"/>\n"
                   "<allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
                   "</policy>\n"
                   "<include>%s</include>\n",
                   arg_policy) > 0);
        pid = test_dbus_spawn(tmpdir, policy, addr, size);
        assert_true(pid > 0);
        return pid;
}

/* cairn-netd on the private bus; rcvbuf: --netlink-rcvbuf or NULL; log: its stderr or NULL. */
static pid_t start_netd(const char *rcvbuf, const char *log) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                if (log) {
                        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        if (fd < 0 || dup2(fd, 2) < 0)
                                _exit(126);
                }
                if (rcvbuf)
                        execl(arg_netd, "cairn-netd", "--lease-dir", lease_dir, "--log-level", "debug",
                              "--netlink-rcvbuf", rcvbuf, (char *) NULL);
                else
                        execl(arg_netd, "cairn-netd", "--lease-dir", lease_dir, "--log-level", "debug", (char *) NULL);
                _exit(127);
        }
        return pid;
}

static void wait_name(void);

static int setup(void **state) {
        char addr[512];

        if (geteuid() != 0) {
                printf("SKIP: needs root for a network namespace\n");
                exit(77);
        }
        test_dbus_require();
        if (access(arg_ip, X_OK) < 0) {
                printf("SKIP: %s is not installed (Debian package iproute2)\n", arg_ip);
                exit(77);
        }
        if (unshare(CLONE_NEWNET) < 0) {
                printf("SKIP: cannot make a network namespace: %s\n", strerror(errno));
                exit(77);
        }
        if (ip("link add veth0 address 02:00:00:00:00:01 type veth peer name veth1 address 02:00:00:00:00:02") != 0) {
                printf("SKIP: cannot create a veth pair (no veth support in this kernel?)\n");
                exit(77);
        }

        assert_non_null(mkdtemp(tmpdir));
        assert_int_equal(chmod(tmpdir, 0711), 0);      /* nobody reaches the bus socket */
        snprintf(lease_dir, sizeof(lease_dir), "%s/leases", tmpdir);
        assert_int_equal(mkdir(lease_dir, 0755), 0);
        dbus_pid = spawn_dbus(addr, sizeof(addr));
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1), 0);

        netd_pid = start_netd(NULL, NULL);

        assert_true(sd_bus_open_system(&client) >= 0);
        assert_true(sd_bus_match_signal(client, NULL, NULL, PATH, NAME, "Changed", on_changed, NULL) >= 0);
        wait_name();
        return 0;
}

/* The name appears once netd has its first complete table. */
static void wait_name(void) {
        uint64_t end = now_usec() + WAIT_USEC;

        for (;;) {
                int has = 0;
                sd_bus_message *reply = NULL;

                assert_true(sd_bus_call_method(client, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                               "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s", NAME) >= 0);
                assert_true(sd_bus_message_read(reply, "b", &has) >= 0);
                sd_bus_message_unref(reply);
                if (has)
                        break;
                if (now_usec() > end)
                        fail_msg("cairn-netd did not own %s within 5 s", NAME);
                usleep(20 * 1000);
        }
}

static int teardown(void **state) {
        char cmd[128];
        int status = -1;

        client = sd_bus_flush_close_unref(client);
        if (netd_pid > 0) {
                kill(netd_pid, SIGTERM);
                waitpid(netd_pid, &status, 0);
        }
        test_dbus_stop(dbus_pid);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                return -1;
        /* A clean exit on SIGTERM. */
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "cairn-netd ended with status 0x%x\n", status);
                return -1;
        }
        return 0;
}

/* ---- tests (in order: each starts from the state the previous left) ---- */

/* The served interface is the checked-in XML's: same methods, args, signals. */
static void collect_decl(const char *text, char *out, size_t size) {
        const char *p = strstr(text, "<interface name=\"" NAME "\"");
        const char *end;
        size_t o = 0;

        assert_non_null(p);
        end = strstr(p, "</interface>");
        assert_non_null(end);
        out[0] = 0;
        while (p < end) {
                const char *lt = strchr(p, '<'), *gt;

                if (!lt || lt >= end)
                        break;
                gt = strchr(lt, '>');
                assert_non_null(gt);
                if (strncmp(lt, "<method", 7) == 0 || strncmp(lt, "<arg", 4) == 0 || strncmp(lt, "<signal", 7) == 0) {
                        size_t n = (size_t) (gt - lt + 1);
                        assert_true(o + n + 2 < size);
                        memcpy(out + o, lt, n);
                        o += n;
                        out[o++] = '\n';
                        out[o] = 0;
                }
                p = gt + 1;
        }
}

static void test_introspection(void **state) {
        _cleanup_free_ char *xml = NULL;
        sd_bus_message *reply = NULL;
        const char *served;
        char a[4096], b[4096];

        assert_int_equal(read_full_file(arg_xml, 1 << 20, &xml, NULL), 0);
        assert_true(sd_bus_call_method(client, NAME, PATH, "org.freedesktop.DBus.Introspectable", "Introspect",
                                       NULL, &reply, NULL) >= 0);
        assert_true(sd_bus_message_read(reply, "s", &served) > 0);
        collect_decl(xml, a, sizeof(a));
        collect_decl(served, b, sizeof(b));
        assert_string_equal(a, b);
        assert_non_null(strstr(a, "<arg type=\"a(sssas)\""));
        sd_bus_message_unref(reply);
}

static bool initial_ok(const Iface *ifs, size_t n) {
        return n == 2 && find(ifs, n, "veth0") && find(ifs, n, "veth1");
}

static void test_initial_list(void **state) {
        Iface ifs[16];
        size_t n = 0;
        const Iface *v0, *v1;

        assert_true(wait_for(initial_ok, &n, ifs));
        v0 = find(ifs, n, "veth0");
        v1 = find(ifs, n, "veth1");
        assert_string_equal(v0->mac, "02:00:00:00:00:01");
        assert_string_equal(v1->mac, "02:00:00:00:00:02");
        assert_string_equal(v0->link, "down");
        assert_string_equal(v1->link, "down");
        assert_int_equal(v0->n_addrs, 0);
        assert_null(find(ifs, n, "lo"));
}

static bool up_ok(const Iface *ifs, size_t n) {
        const Iface *v0 = find(ifs, n, "veth0"), *v1 = find(ifs, n, "veth1");

        return v0 && v1 && strcmp(v0->link, "up") == 0 && strcmp(v1->link, "up") == 0 &&
               has_addr(v0, "10.9.8.7/24") && has_addr(v0, "fd00::7/64");
}

static void test_up_with_addresses(void **state) {
        unsigned before;
        Iface ifs[16];
        size_t n = 0;

        settle();
        before = changed_count;
        assert_int_equal(ip("link set veth0 up"), 0);
        assert_int_equal(ip("link set veth1 up"), 0);
        assert_int_equal(ip("addr add 10.9.8.7/24 dev veth0"), 0);
        assert_int_equal(ip("addr add fd00::7/64 dev veth0 nodad"), 0);
        assert_true(wait_changed(before, WAIT_USEC));
        assert_true(wait_for(up_ok, &n, ifs));
        /* IPv4 first */
        assert_string_equal(find(ifs, n, "veth0")->addrs[0], "10.9.8.7/24");
}

static bool no_carrier_ok(const Iface *ifs, size_t n) {
        const Iface *v0 = find(ifs, n, "veth0"), *v1 = find(ifs, n, "veth1");

        return v0 && v1 && strcmp(v0->link, "no-carrier") == 0 && strcmp(v1->link, "down") == 0;
}

static bool down_ok(const Iface *ifs, size_t n) {
        const Iface *v0 = find(ifs, n, "veth0");

        return v0 && strcmp(v0->link, "down") == 0;
}

static void test_link_down(void **state) {
        unsigned before;
        Iface ifs[16];
        size_t n = 0;

        settle();
        before = changed_count;
        /* The peer down: veth0 is up without carrier. */
        assert_int_equal(ip("link set veth1 down"), 0);
        assert_true(wait_changed(before, WAIT_USEC));
        assert_true(wait_for(no_carrier_ok, &n, ifs));
        assert_true(has_addr(find(ifs, n, "veth0"), "10.9.8.7/24"));

        settle();
        before = changed_count;
        assert_int_equal(ip("link set veth0 down"), 0);
        assert_true(wait_changed(before, WAIT_USEC));
        assert_true(wait_for(down_ok, &n, ifs));
}

static bool twenty_ok(const Iface *ifs, size_t n) {
        const Iface *v0 = find(ifs, n, "veth0");

        char a[32];

        for (int i = 1; i <= 20; i++) {
                snprintf(a, sizeof(a), "10.7.0.%d/16", i);
                if (!has_addr(v0, a))
                        return false;
        }
        return has_addr(v0, "10.9.8.7/24");
}

/* A burst of changes is one Changed(), or a few, not one per change. */
static void test_coalesced(void **state) {
        char batch[300], line[80];
        unsigned before, signals;
        Iface ifs[16];
        size_t n;
        FILE *f;

        snprintf(batch, sizeof(batch), "%s/batch", tmpdir);
        f = fopen(batch, "w");
        assert_non_null(f);
        for (int i = 1; i <= 20; i++) {
                snprintf(line, sizeof(line), "addr add 10.7.0.%d/16 dev veth0\n", i);
                fputs(line, f);
        }
        fclose(f);

        settle();
        before = changed_count;
        assert_int_equal(ip("-batch %s", batch), 0);
        assert_true(wait_changed(before, WAIT_USEC));
        settle();
        signals = changed_count - before;
        printf("20 addresses added by one ip -batch: %u Changed()\n", signals);
        assert_true(signals >= 1 && signals < 10);
        assert_true(wait_for(twenty_ok, &n, ifs));
}

static int get_lease(const char *ifname, sd_bus_error *error, char *out, size_t size) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *k, *v;
        size_t o = 0;
        int r;

        r = sd_bus_call_method(client, NAME, PATH, NAME, "GetLease", error, &reply, "s", ifname);
        if (r < 0)
                return r;
        assert_true(sd_bus_message_enter_container(reply, 'a', "{ss}") > 0);
        out[0] = 0;
        while ((r = sd_bus_message_read(reply, "{ss}", &k, &v)) > 0)
                o += (size_t) snprintf(out + o, size - o, "%s=%s\n", k, v);
        assert_true(r >= 0);
        return 0;
}

static void test_lease(void **state) {
        static const char lease[] = "# This is private data. Do not parse.\nADDRESS=10.0.2.15\nNETMASK=255.255.255.0\n"
                                    "ROUTER=10.0.2.2\nDNS=10.0.2.3\nLIFETIME=86400\nCLIENTID=ffaabb\n";
        char path[300], got[1024];
        sd_bus_error error = SD_BUS_ERROR_NULL;
        unsigned ifindex = if_nametoindex("veth0"), before;

        assert_true(ifindex > 0);
        snprintf(path, sizeof(path), "%s/%u", lease_dir, ifindex);
        settle();

        assert_true(get_lease("veth0", &error, got, sizeof(got)) < 0);
        assert_string_equal(error.name, "org.cairn.Error.NoLease");
        sd_bus_error_free(&error);

        before = changed_count;
        assert_int_equal(write_file_atomic(path, lease, sizeof(lease) - 1, 0644), 0);
        assert_true(wait_changed(before, WAIT_USEC));      /* lease files are watched */
        assert_int_equal(get_lease("veth0", &error, got, sizeof(got)), 0);
        assert_string_equal(got, "address=10.0.2.15\nnetmask=255.255.255.0\nrouter=10.0.2.2\ndns=10.0.2.3\n"
                                 "lifetime=86400\n");

        assert_true(get_lease("veth1", &error, got, sizeof(got)) < 0);
        assert_string_equal(error.name, "org.cairn.Error.NoLease");
        sd_bus_error_free(&error);
        assert_true(get_lease("nope0", &error, got, sizeof(got)) < 0);
        assert_string_equal(error.name, "org.cairn.Error.NoSuchInterface");
        sd_bus_error_free(&error);
        assert_true(get_lease("lo", &error, got, sizeof(got)) < 0);
        assert_string_equal(error.name, "org.cairn.Error.NoSuchInterface");
        sd_bus_error_free(&error);
        assert_true(get_lease("../../etc/passwd", &error, got, sizeof(got)) < 0);
        assert_string_equal(error.name, "org.cairn.Error.NoSuchInterface");
        sd_bus_error_free(&error);

        /* A malformed lease: the error names file and line. */
        assert_int_equal(write_file_atomic(path, "ADDRESS=10.0.2.15\nROUTER=10.0.2.256\n", 35, 0644), 0);
        assert_true(get_lease("veth0", &error, got, sizeof(got)) < 0);
        assert_string_equal(error.name, "org.cairn.Error.BadLease");
        assert_non_null(strstr(error.message, path));
        assert_non_null(strstr(error.message, ":2: ROUTER: not a list of IPv4 addresses"));
        sd_bus_error_free(&error);
}

/* As nobody: calling is allowed, owning the name is not. */
static void test_policy(void **state) {
        pid_t pid;
        int status;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                sd_bus *bus = NULL;
                sd_bus_message *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(10);
                if (sd_bus_open_system(&bus) < 0)
                        _exit(11);
                if (sd_bus_call_method(bus, NAME, PATH, NAME, "ListInterfaces", &error, &reply, NULL) < 0) {
                        fprintf(stderr, "nobody: ListInterfaces: %s\n", error.message);
                        _exit(12);
                }
                if (sd_bus_call_method(bus, NAME, PATH, NAME, "GetLease", &error, &reply, "s", "veth1") >= 0 ||
                    !sd_bus_error_has_name(&error, "org.cairn.Error.NoLease")) {
                        fprintf(stderr, "nobody: GetLease: %s\n", error.name ?: "succeeded");
                        _exit(13);
                }
                sd_bus_error_free(&error);
                r = sd_bus_request_name(bus, "org.cairn.Network1", SD_BUS_NAME_QUEUE);
                if (r != -EACCES) {
                        fprintf(stderr, "nobody: RequestName gave %d, not -EACCES\n", r);
                        _exit(14);
                }
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static bool gone_ok(const Iface *ifs, size_t n) {
        return n == 0;
}

static void test_link_deleted(void **state) {
        unsigned before;
        Iface ifs[16];
        size_t n = 99;

        settle();
        before = changed_count;
        assert_int_equal(ip("link del veth0"), 0);      /* takes veth1 with it */
        assert_true(wait_changed(before, WAIT_USEC));
        assert_true(wait_for(gone_ok, &n, ifs));
        assert_int_equal(n, 0);
}

static bool after_overrun_ok(const Iface *ifs, size_t n) {
        const Iface *a = find(ifs, n, "vetha");
        char text[32];

        if (n != 2 || !a || !find(ifs, n, "vethb") || strcmp(a->link, "up") != 0)
                return false;
        for (int i = 1; i <= 30; i++) {
                snprintf(text, sizeof(text), "10.6.0.%d/16", i);
                if (!has_addr(a, text))
                        return false;
        }
        return true;
}

/* Events lost to a full socket buffer: netd reads the whole table again, and a
 * link deleted meanwhile does not stay behind.  A new netd with a tiny buffer is
 * stopped while links and addresses change, then continued. */
static void test_overrun(void **state) {
        _cleanup_free_ char *log_text = NULL;
        char log[300], batch[300], line[80];
        Iface ifs[16];
        size_t n = 0;
        int status;
        FILE *f;

        kill(netd_pid, SIGTERM);
        assert_int_equal(waitpid(netd_pid, &status, 0), netd_pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(ip("link add vethc type veth peer name vethd"), 0);
        snprintf(log, sizeof(log), "%s/netd-overrun.log", tmpdir);
        netd_pid = start_netd("4096", log);
        wait_name();
        n = list(ifs, 16);
        assert_int_equal(n, 2);
        assert_non_null(find(ifs, n, "vethc"));

        snprintf(batch, sizeof(batch), "%s/batch-overrun", tmpdir);
        f = fopen(batch, "w");
        assert_non_null(f);
        fputs("link del vethc\nlink add vetha type veth peer name vethb\nlink set vetha up\nlink set vethb up\n", f);
        for (int i = 1; i <= 30; i++) {
                snprintf(line, sizeof(line), "addr add 10.6.0.%d/16 dev vetha\n", i);
                fputs(line, f);
        }
        fclose(f);

        assert_int_equal(kill(netd_pid, SIGSTOP), 0);
        assert_int_equal(ip("-batch %s", batch), 0);
        assert_int_equal(kill(netd_pid, SIGCONT), 0);
        if (!wait_for(after_overrun_ok, &n, ifs)) {
                if (read_full_file(log, 1 << 20, &log_text, NULL) == 0)
                        printf("%s", log_text);
                for (size_t i = 0; i < n; i++)
                        printf("%s %s %s %zu addresses\n", ifs[i].name, ifs[i].mac, ifs[i].link, ifs[i].n_addrs);
                fail_msg("the table after the overrun is not what ip made");
        }
        assert_null(find(ifs, n, "vethc"));

        assert_int_equal(read_full_file(log, 1 << 20, &log_text, NULL), 0);
        printf("%s", log_text);
        assert_non_null(strstr(log_text, "The netlink socket overran; reading the whole table again."));
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_introspection),
                cmocka_unit_test(test_initial_list),
                cmocka_unit_test(test_up_with_addresses),
                cmocka_unit_test(test_link_down),
                cmocka_unit_test(test_coalesced),
                cmocka_unit_test(test_lease),
                cmocka_unit_test(test_policy),
                cmocka_unit_test(test_link_deleted),
                cmocka_unit_test(test_overrun),
        };

        if (argc != 5) {
                fprintf(stderr, "Usage: %s CAIRN-NETD IP NETWORK1-XML NETWORK1-CONF\n", argv[0]);
                return EXIT_FAILURE;
        }
        arg_netd = argv[1];
        arg_ip = argv[2];
        arg_xml = argv[3];
        arg_policy = argv[4];
        return cmocka_run_group_tests(tests, setup, teardown);
}
