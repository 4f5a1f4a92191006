/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Integration test: a real private dbus-daemon with rpc-test-service on it,
 * cairn-rpc-proxy's dom0 end (--transport unix:, --domain uivm) and guest end
 * joined by a unix socket, and sd-bus clients on the guest's socket.  A second
 * dbus-daemon stands for the NDVM's own bus, with a second rpc-test-service
 * (org.cairn.Test.Ndvm) and a second guest end (--domain ndvm, --export-bus),
 * for the rules with via=ndvm.
 * Usage: test-proxy PROXY SERVICE DBUS-DAEMON */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "frame.h"
#include "util.h"

#define MGR "org.cairn.VMManager1"
#define MGR_PATH "/org/cairn/VMManager1"
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define SERVICE_UNKNOWN "org.freedesktop.DBus.Error.ServiceUnknown"
#define NDVM_NAME "org.cairn.Test.Ndvm"

static const char *arg_proxy, *arg_service, *arg_dbus;
static char dir[] = "/tmp/cairn-rpc-test.XXXXXX";
static char bus_address[256], guest_address[256], guest_sock[200], link_sock[200], rules_path[200],
        log_path[200], ndvm_bus_sock[200], ndvm_bus_address[256], ndvm_guest_sock[200], ndvm_link_sock[200],
        ndvm_transport[256];
static pid_t pid_dbus = -1, pid_service = -1, pid_dom0 = -1, pid_guest = -1, pid_ndvm_dbus = -1,
             pid_ndvm_service = -1, pid_ndvm_guest = -1;

static const char rules_v1[] =
        "# test rules\n"
        "allow uivm call destination=" MGR " interface=" MGR " member=ListVMs,Start,Ping,Echo path=" MGR_PATH "\n"
        "allow uivm call destination=" MGR " interface=org.freedesktop.DBus.Properties member=Get path=" MGR_PATH "/vm/*\n"
        "allow uivm signal sender=" MGR " interface=" MGR " member=StateChanged\n"
        "allow uivm signal sender=" MGR " interface=org.freedesktop.DBus.Properties member=PropertiesChanged path=" MGR_PATH "/vm/*\n"
        "allow uivm call destination=" NDVM_NAME " interface=" MGR " member=ListVMs,Start path=" MGR_PATH " via=ndvm\n"
        "allow uivm signal sender=" NDVM_NAME " interface=" MGR " member=StateChanged via=ndvm\n";

static void write_file(const char *path, const char *text) {
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static int wait_for_path(const char *path, int seconds) {
        for (int i = 0; i < seconds * 20; i++) {
                if (access(path, F_OK) == 0)
                        return 0;
                usleep(50 * 1000);
        }
        return -ETIMEDOUT;
}

/* How many times `needle` occurs in the dom0 end's log (stderr). */
static int log_count(const char *needle) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int n = 0;

        if (read_full_file(log_path, 16 << 20, &text, &size) < 0)
                return 0;
        for (const char *p = text; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static int wait_log(const char *needle, int at_least) {
        for (int i = 0; i < 200; i++) {
                if (log_count(needle) >= at_least)
                        return 0;
                usleep(25 * 1000);
        }
        fprintf(stderr, "dom0 log never said \"%s\" %d times\n", needle, at_least);
        return -ETIMEDOUT;
}

static pid_t spawn(char *const argv[], int stdout_fd, int stderr_fd) {
        pid_t pid = fork();

        if (pid == 0) {
                if (stdout_fd >= 0)
                        dup2(stdout_fd, STDOUT_FILENO);
                if (stderr_fd >= 0)
                        dup2(stderr_fd, STDERR_FILENO);
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

/* Stops a child with SIGTERM; returns its exit status (-1 if killed by a signal). */
static int stop(pid_t *pid) {
        int status = 0;

        if (*pid > 0) {
                kill(*pid, SIGTERM);
                if (waitpid(*pid, &status, 0) < 0 || !WIFEXITED(status))
                        status = -1;
                else
                        status = WEXITSTATUS(status);
        }
        *pid = -1;
        return status;
}

/* A private dbus-daemon listening on socket, configured by config_path. */
static pid_t start_bus(const char *config_path, const char *socket) {
        _cleanup_free_ char *config = NULL, *cfg_arg = NULL;
        pid_t pid;

        assert_true(asprintf(&config,
                             "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                             " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                             "<busconfig><type>session</type><listen>unix:path=%s</listen>"
                             "<auth>EXTERNAL</auth><policy context=\"default\">"
                             "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
                             "<allow own=\"*\"/><allow user=\"*\"/></policy></busconfig>\n",
                             socket) > 0);
        write_file(config_path, config);
        assert_true(asprintf(&cfg_arg, "--config-file=%s", config_path) > 0);
        pid = spawn((char *[]) { (char *) arg_dbus, cfg_arg, (char *) "--nofork", (char *) "--nopidfile", NULL }, -1, -1);
        assert_int_equal(wait_for_path(socket, 10), 0);
        return pid;
}

/* rpc-test-service on address, owning name (NULL: org.cairn.VMManager1); returns once it is ready. */
static pid_t start_service(const char *address, const char *name) {
        char buf[16] = {};
        int pipefd[2];
        pid_t pid;

        assert_int_equal(pipe(pipefd), 0);
        pid = spawn((char *[]) { (char *) arg_service, (char *) address, (char *) name, NULL }, pipefd[1], -1);
        close(pipefd[1]);
        assert_true(read(pipefd[0], buf, sizeof(buf) - 1) >= 5);
        assert_string_equal(buf, "ready\n");
        close(pipefd[0]);
        return pid;
}

static pid_t start_ndvm_guest(void) {
        pid_t pid = spawn((char *[]) { (char *) arg_proxy, (char *) "guest", (char *) "--listen", ndvm_guest_sock,
                                       (char *) "--export-bus", ndvm_bus_sock, (char *) "--transport", ndvm_transport,
                                       (char *) "--timeout", (char *) "10", NULL },
                          -1, -1);

        assert_int_equal(wait_for_path(ndvm_guest_sock, 10), 0);
        return pid;
}

static int setup(void **state) {
        char conf[256], config_path[256];
        int log_fd;

        if (access(arg_dbus, X_OK) < 0) {
                fprintf(stderr, "SKIP: no dbus-daemon at %s\n", arg_dbus);
                exit(77);
        }
        if (!mkdtemp(dir))
                return -1;
        snprintf(config_path, sizeof(config_path), "%s/bus.conf", dir);
        snprintf(bus_address, sizeof(bus_address), "unix:path=%s/bus", dir);
        snprintf(guest_sock, sizeof(guest_sock), "%s/rpc/dom0.sock", dir);
        snprintf(guest_address, sizeof(guest_address), "unix:path=%s", guest_sock);
        snprintf(link_sock, sizeof(link_sock), "%s/link", dir);
        snprintf(rules_path, sizeof(rules_path), "%s/test.rules", dir);
        snprintf(log_path, sizeof(log_path), "%s/dom0.log", dir);
        snprintf(conf, sizeof(conf), "%s/bus", dir);
        snprintf(ndvm_bus_sock, sizeof(ndvm_bus_sock), "%s/ndvm-bus", dir);
        snprintf(ndvm_bus_address, sizeof(ndvm_bus_address), "unix:path=%s", ndvm_bus_sock);
        snprintf(ndvm_guest_sock, sizeof(ndvm_guest_sock), "%s/ndvm/dom0.sock", dir);
        snprintf(ndvm_link_sock, sizeof(ndvm_link_sock), "%s/link-ndvm", dir);
        snprintf(ndvm_transport, sizeof(ndvm_transport), "unix:%s", ndvm_link_sock);
        write_file(rules_path, rules_v1);

        pid_dbus = start_bus(config_path, conf);
        pid_service = start_service(bus_address, NULL);
        snprintf(config_path, sizeof(config_path), "%s/ndvm-bus.conf", dir);
        pid_ndvm_dbus = start_bus(config_path, ndvm_bus_sock);
        pid_ndvm_service = start_service(ndvm_bus_address, NDVM_NAME);

        _cleanup_free_ char *transport = NULL;
        assert_true(asprintf(&transport, "unix:%s", link_sock) > 0);
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(log_fd >= 0);
        pid_dom0 = spawn((char *[]) { (char *) arg_proxy, (char *) "dom0", (char *) "--rules", rules_path,
                                      (char *) "--bus", bus_address, (char *) "--transport", transport,
                                      (char *) "--domain", (char *) "uivm", (char *) "--transport", ndvm_transport,
                                      (char *) "--domain", (char *) "ndvm", NULL },
                         -1, log_fd);
        close(log_fd);
        assert_int_equal(wait_for_path(link_sock, 10), 0);
        assert_int_equal(wait_for_path(ndvm_link_sock, 10), 0);
        pid_ndvm_guest = start_ndvm_guest();
        pid_guest = spawn((char *[]) { (char *) arg_proxy, (char *) "guest", (char *) "--listen", guest_sock,
                                       (char *) "--transport", transport, (char *) "--timeout", (char *) "10", NULL },
                          -1, -1);
        assert_int_equal(wait_for_path(guest_sock, 10), 0);
        return 0;
}

static int teardown(void **state) {
        _cleanup_free_ char *text = NULL, *cmd = NULL;
        size_t size;

        stop(&pid_guest);
        stop(&pid_ndvm_guest);
        stop(&pid_dom0);
        stop(&pid_service);
        stop(&pid_dbus);
        stop(&pid_ndvm_service);
        stop(&pid_ndvm_dbus);
        if (read_full_file(log_path, 16 << 20, &text, &size) == 0)
                fprintf(stderr, "---- dom0 end's log ----\n%s------------------------\n", text);
        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0)
                (void) system(cmd);
        return 0;
}

static sd_bus *client(void) {
        sd_bus *bus = NULL;

        assert_true(sd_bus_new(&bus) >= 0);
        assert_true(sd_bus_set_address(bus, guest_address) >= 0);
        assert_true(sd_bus_set_bus_client(bus, 1) >= 0);
        assert_true(sd_bus_start(bus) >= 0);
        return bus;
}

static void check_list_on(sd_bus *bus, const char *destination) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *name, *uuid, *type, *st;
        int64_t domid;
        uint64_t mem;
        uint32_t vcpus;
        int r;

        r = sd_bus_call_method(bus, destination, MGR_PATH, MGR, "ListVMs", &error, &reply, "");
        if (r < 0)
                fail_msg("ListVMs on %s through the proxy: %s", destination, error.message ?: strerror(-r));
        assert_int_equal(sd_bus_message_enter_container(reply, 'a', "(ssssxtu)"), 1);
        assert_int_equal(sd_bus_message_read(reply, "(ssssxtu)", &name, &uuid, &type, &st, &domid, &mem, &vcpus), 1);
        assert_string_equal(name, "uivm");
        assert_int_equal(mem, 256);
        assert_int_equal(sd_bus_message_read(reply, "(ssssxtu)", &name, &uuid, &type, &st, &domid, &mem, &vcpus), 1);
        assert_string_equal(name, "win10");
        assert_string_equal(type, "hvm");
        assert_int_equal(domid, -1);
        assert_int_equal(vcpus, 2);
        assert_int_equal(sd_bus_message_read(reply, "(ssssxtu)", &name, &uuid, &type, &st, &domid, &mem, &vcpus), 0);
        sd_bus_message_unref(reply);
}

static void check_list(sd_bus *bus) {
        check_list_on(bus, MGR);
}

/* Calls SetConfig; returns 0 if it went through, or the error's errno. */
static int call_set_config(sd_bus *bus, char **ret_error_name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, MGR, MGR_PATH, MGR, "SetConfig", &error, &reply, "ss", "key", "value");
        if (ret_error_name)
                *ret_error_name = r < 0 && error.name ? strdup(error.name) : NULL;
        sd_bus_message_unref(reply);
        return r;
}

static void test_allowed(void **state) {
        sd_bus *bus = client();
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s;

        check_list(bus);
        /* Properties.Get on a VM object (path glob) */
        assert_true(sd_bus_get_property(bus, MGR, MGR_PATH "/vm/uivm", MGR ".VM", "Name", &error, &reply, "s") >= 0);
        assert_int_equal(sd_bus_message_read(reply, "s", &s), 1);
        assert_string_equal(s, "uivm");
        sd_bus_message_unref(reply);
        /* errors from the service come back as they are */
        assert_true(sd_bus_call_method(bus, MGR, MGR_PATH, MGR, "Start", &error, NULL, "s", "nosuch") < 0);
        assert_string_equal(error.name, "org.cairn.Error.NoSuchVM");
        assert_string_equal(error.message, "No VM called nosuch");
        /* a 700 KiB argument and reply: many frames each way, contents intact */
        {
                size_t n = 700 * 1024, got_n = 0;
                uint8_t *data = malloc(n);
                const void *got;
                sd_bus_message *m = NULL;

                assert_non_null(data);
                sd_bus_error_free(&error);
                for (size_t i = 0; i < n; i++)
                        data[i] = (uint8_t) (i * 7 + i / 251);
                assert_true(sd_bus_message_new_method_call(bus, &m, MGR, MGR_PATH, MGR, "Echo") >= 0);
                assert_true(sd_bus_message_append_array(m, 'y', data, n) >= 0);
                if (sd_bus_call(bus, m, 0, &error, &reply) < 0)
                        fail_msg("Echo of %zu bytes: %s: %s", n, error.name, error.message);
                assert_true(sd_bus_message_read_array(reply, 'y', &got, &got_n) >= 0);
                assert_int_equal(got_n, n);
                assert_memory_equal(got, data, n);
                sd_bus_message_unref(reply);
                sd_bus_message_unref(m);
                free(data);
        }
        /* no fd passing through the proxy */
        assert_int_equal(sd_bus_can_send(bus, 'h'), 0);
        sd_bus_flush_close_unref(bus);
}

static void test_denied(void **state) {
        sd_bus *bus = client();
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *name = NULL;
        int before = log_count("Denied call from domain uivm");

        assert_true(call_set_config(bus, &name) < 0);
        assert_string_equal(name, ACCESS_DENIED);
        assert_int_equal(wait_log("member=SetConfig", 1), 0);
        assert_int_equal(log_count("Denied call from domain uivm"), before + 1);

        /* Properties.Set is not allowed, even on an allowed path */
        assert_true(sd_bus_set_property(bus, MGR, MGR_PATH "/vm/uivm", MGR ".VM", "Name", &error, "s", "x") < 0);
        assert_string_equal(error.name, ACCESS_DENIED);
        sd_bus_error_free(&error);
        /* nobody gets to own names or talk to the driver beyond Hello/AddMatch */
        assert_true(sd_bus_request_name(bus, MGR, 0) < 0);
        assert_true(sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "ListNames", &error, NULL, "") < 0);
        assert_string_equal(error.name, ACCESS_DENIED);
        assert_int_equal(wait_log("member=ListNames", 1), 0);
        sd_bus_error_free(&error);
        /* a service the rules do not name */
        assert_true(sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "StartUnit", &error, NULL, "ss", "x", "y") < 0);
        assert_string_equal(error.name, ACCESS_DENIED);
        sd_bus_flush_close_unref(bus);
}

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *state;
        int64_t domid;

        if (sd_bus_message_read(m, "ssx", &name, &state, &domid) > 0 && strcmp(name, "win10") == 0 &&
            strcmp(state, "running") == 0 && domid == 7)
                (*(int *) userdata)++;
        return 0;
}

static int count_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        (*(int *) userdata)++;
        return 0;
}

/* The service emits ConfigChanged (no rule), PropertiesChanged on a VM object and
 * StateChanged (rules allow both), in that order; the proxy keeps the order. */
static void test_signal(void **state) {
        sd_bus *bus = client(), *other = client();
        int got = 0, props = 0, config = 0, other_got = 0;

        assert_true(sd_bus_match_signal(bus, NULL, MGR, MGR_PATH, MGR, "StateChanged", on_state_changed, &got) >= 0);
        assert_true(sd_bus_match_signal(bus, NULL, MGR, MGR_PATH "/vm/uivm", "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", count_signal, &props) >= 0);
        assert_true(sd_bus_match_signal(bus, NULL, MGR, MGR_PATH, MGR, "ConfigChanged", count_signal, &config) >= 0);
        assert_true(sd_bus_match_signal(other, NULL, NULL, NULL, MGR, NULL, count_signal, &other_got) >= 0);
        assert_int_equal(sd_bus_call_method(bus, MGR, MGR_PATH, MGR, "Start", NULL, NULL, "s", "win10"), 1);
        for (int i = 0; i < 100 && got == 0; i++) {
                if (sd_bus_process(bus, NULL) == 0)
                        sd_bus_wait(bus, 50 * 1000);
        }
        while (sd_bus_process(bus, NULL) > 0)
                ;
        assert_int_equal(got, 1);
        assert_int_equal(props, 1);
        assert_int_equal(config, 0);
        /* another connection of the same domain with a match sees StateChanged too */
        for (int i = 0; i < 100 && other_got == 0; i++) {
                if (sd_bus_process(other, NULL) == 0)
                        sd_bus_wait(other, 50 * 1000);
        }
        assert_int_equal(other_got, 1);
        sd_bus_flush_close_unref(bus);
        sd_bus_flush_close_unref(other);
}

/* Rules with via=ndvm: the UIVM's calls go to the NDVM's own bus over the NDVM's
 * link, and that bus's signals come back; everything else stays denied. */
static void test_via(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = client(), *dom0_bus = NULL, *ndvm = NULL;
        int got = 0, r;

        assert_int_equal(wait_log("Domain ndvm: dom0 is connected to its bus.", 1), 0);
        /* The call reaches the service on the NDVM's bus ... */
        check_list_on(bus, NDVM_NAME);
        /* ... which dom0's bus does not have. */
        assert_true(sd_bus_new(&dom0_bus) >= 0);
        assert_true(sd_bus_set_address(dom0_bus, bus_address) >= 0);
        assert_true(sd_bus_set_bus_client(dom0_bus, 1) >= 0);
        assert_true(sd_bus_start(dom0_bus) >= 0);
        assert_true(sd_bus_call_method(dom0_bus, NDVM_NAME, MGR_PATH, MGR, "ListVMs", &error, NULL, "") < 0);
        assert_string_equal(error.name, SERVICE_UNKNOWN);
        sd_bus_error_free(&error);
        sd_bus_flush_close_unref(dom0_bus);

        /* A signal on the NDVM's bus that a via=ndvm rule allows reaches the UIVM's client. */
        assert_true(sd_bus_match_signal(bus, NULL, NDVM_NAME, MGR_PATH, MGR, "StateChanged", on_state_changed, &got) >= 0);
        assert_int_equal(sd_bus_call_method(bus, NDVM_NAME, MGR_PATH, MGR, "Start", NULL, NULL, "s", "win10"), 1);
        for (int i = 0; i < 100 && got == 0; i++)
                if (sd_bus_process(bus, NULL) == 0)
                        sd_bus_wait(bus, 50 * 1000);
        assert_int_equal(got, 1);

        /* A member no rule names is denied and logged, as on dom0's bus. */
        assert_true(sd_bus_call_method(bus, NDVM_NAME, MGR_PATH, MGR, "SetConfig", &error, NULL, "ss", "k", "v") < 0);
        assert_string_equal(error.name, ACCESS_DENIED);
        sd_bus_error_free(&error);
        assert_int_equal(wait_log("destination=" NDVM_NAME " path=" MGR_PATH " interface=" MGR " member=SetConfig", 1), 0);

        /* The NDVM itself reaches nothing on dom0's bus: it has no rules of its own. */
        assert_true(sd_bus_new(&ndvm) >= 0);
        {
                _cleanup_free_ char *address = NULL;

                assert_true(asprintf(&address, "unix:path=%s", ndvm_guest_sock) > 0);
                assert_true(sd_bus_set_address(ndvm, address) >= 0);
        }
        assert_true(sd_bus_set_bus_client(ndvm, 1) >= 0);
        assert_true(sd_bus_start(ndvm) >= 0);
        assert_true(sd_bus_call_method(ndvm, MGR, MGR_PATH, MGR, "ListVMs", &error, NULL, "") < 0);
        assert_string_equal(error.name, ACCESS_DENIED);
        sd_bus_error_free(&error);
        sd_bus_flush_close_unref(ndvm);

        /* The NDVM's end goes away: the UIVM's calls are answered at once with an error that says so. */
        assert_int_equal(stop(&pid_ndvm_guest), 0);
        for (int i = 0; i < 100; i++) {
                sd_bus_error_free(&error);
                r = sd_bus_call_method(bus, NDVM_NAME, MGR_PATH, MGR, "ListVMs", &error, NULL, "");
                if (r < 0 && sd_bus_error_has_name(&error, SERVICE_UNKNOWN))
                        break;
                usleep(50 * 1000);
        }
        assert_string_equal(error.name, SERVICE_UNKNOWN);
        assert_string_equal(error.message, "The ndvm domain is not connected to dom0 now");
        sd_bus_error_free(&error);

        /* It comes back: dom0 connects to its bus again, and the calls go through. */
        pid_ndvm_guest = start_ndvm_guest();
        assert_int_equal(wait_log("Domain ndvm: dom0 is connected to its bus.", 2), 0);
        check_list_on(bus, NDVM_NAME);

        /* The NDVM's bus itself restarts: dom0's connection to it closes, and dom0 tries again. */
        {
                char config_path[256];

                stop(&pid_ndvm_service);
                stop(&pid_ndvm_dbus);
                assert_int_equal(wait_log("Domain ndvm: its bus closed dom0's connection", 1), 0);
                assert_int_equal(wait_log("Domain ndvm: dom0's connection to its bus closed; trying again.", 1), 0);
                (void) unlink(ndvm_bus_sock);
                snprintf(config_path, sizeof(config_path), "%s/ndvm-bus.conf", dir);
                pid_ndvm_dbus = start_bus(config_path, ndvm_bus_sock);
                pid_ndvm_service = start_service(ndvm_bus_address, NDVM_NAME);
        }
        assert_int_equal(wait_log("Domain ndvm: dom0 is connected to its bus.", 3), 0);
        check_list_on(bus, NDVM_NAME);
        check_list(bus);
        sd_bus_flush_close_unref(bus);
}

static int raw_connect(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

/* Reads until EOF; returns 0 on EOF within 5 s, -ETIMEDOUT otherwise. */
static int wait_eof(int fd) {
        char buf[4096];

        for (int i = 0; i < 100; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (poll(&p, 1, 50) > 0) {
                        ssize_t n = read(fd, buf, sizeof(buf));

                        if (n <= 0)
                                return 0;
                }
        }
        return -ETIMEDOUT;
}

static const char auth[] = "\0AUTH EXTERNAL 30\r\nBEGIN\r\n";

static void test_malformed_message(void **state) {
        sd_bus *good = client();
        uint8_t bad[16] = { 'X', 1, 0, 1 };
        uint8_t big[16] = { 'l', 1, 0, 1, 0, 0, 0x20, 0 /* body 2 MiB */, 1, 0, 0, 0, 8, 0, 0, 0 };
        int fd;

        /* garbage after authentication: that connection is closed... */
        fd = raw_connect(guest_sock);
        assert_int_equal(write(fd, auth, sizeof(auth) - 1), (ssize_t) sizeof(auth) - 1);
        assert_int_equal(write(fd, bad, sizeof(bad)), (ssize_t) sizeof(bad));
        assert_int_equal(wait_eof(fd), 0);
        close(fd);
        assert_int_equal(wait_log("bad endianness byte", 1), 0);
        /* ...and another client keeps working */
        check_list(good);

        /* a message over the size limit */
        fd = raw_connect(guest_sock);
        assert_int_equal(write(fd, auth, sizeof(auth) - 1), (ssize_t) sizeof(auth) - 1);
        assert_int_equal(write(fd, big, sizeof(big)), (ssize_t) sizeof(big));
        assert_int_equal(wait_eof(fd), 0);
        close(fd);
        assert_int_equal(wait_log("message larger than the proxy's limit", 1), 0);
        check_list(good);

        /* no NUL byte first */
        fd = raw_connect(guest_sock);
        assert_int_equal(write(fd, "AUTH\r\n", 6), 6);
        assert_int_equal(wait_eof(fd), 0);
        close(fd);
        check_list(good);

        /* A well-framed message sd-bus cannot accept (it claims 3 fds, and none can
         * come): sd-bus drops that message; nothing else is disturbed. */
        {
                static const uint8_t msg[] = {
                        'l', 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 18, 0, 0, 0,
                        9, 1, 'u', 0, 3, 0, 0, 0,                   /* UNIX_FDS = 3 */
                        1, 1, 'o', 0, 1, 0, 0, 0, '/', 0, 0, 0, 0, 0, 0, 0, /* PATH = / */
                };
                fd = raw_connect(guest_sock);
                assert_int_equal(write(fd, auth, sizeof(auth) - 1), (ssize_t) sizeof(auth) - 1);
                assert_int_equal(write(fd, msg, sizeof(msg)), (ssize_t) sizeof(msg));
                check_list(good);
                close(fd);
                check_list(good);
        }
        sd_bus_flush_close_unref(good);
}

static void test_malformed_frame(void **state) {
        sd_bus *good = client();
        uint8_t frames[2 * RPC_FRAME_HEADER_SIZE];
        int fd, before = log_count("malformed frame header");

        /* Another link for the same domain: a bad frame drops that link only. */
        fd = raw_connect(link_sock);
        rpc_frame_header_encode(frames, RPC_FRAME_OPEN, 1, 0);
        rpc_frame_header_encode(frames + RPC_FRAME_HEADER_SIZE, RPC_FRAME_DATA, 1, RPC_FRAME_PAYLOAD_MAX + 1);
        assert_int_equal(write(fd, frames, sizeof(frames)), (ssize_t) sizeof(frames));
        assert_int_equal(wait_eof(fd), 0);
        close(fd);
        assert_int_equal(wait_log("malformed frame header", before + 1), 0);

        /* OPEN twice for one id */
        fd = raw_connect(link_sock);
        rpc_frame_header_encode(frames, RPC_FRAME_OPEN, 1, 0);
        rpc_frame_header_encode(frames + RPC_FRAME_HEADER_SIZE, RPC_FRAME_OPEN, 1, 0);
        assert_int_equal(write(fd, frames, sizeof(frames)), (ssize_t) sizeof(frames));
        assert_int_equal(wait_eof(fd), 0);
        close(fd);
        assert_int_equal(wait_log("OPEN for connection 1, which is open", 1), 0);

        /* OPEN for an id with the top bit set: only dom0 opens those (towards a guest's bus) */
        fd = raw_connect(link_sock);
        rpc_frame_header_encode(frames, RPC_FRAME_OPEN, RPC_CONN_DOM0 | 1, 0);
        assert_int_equal(write(fd, frames, RPC_FRAME_HEADER_SIZE), (ssize_t) RPC_FRAME_HEADER_SIZE);
        assert_int_equal(wait_eof(fd), 0);
        close(fd);
        assert_int_equal(wait_log("OPEN for connection 0x80000001, an id only dom0 may open", 1), 0);

        check_list(good);
        sd_bus_flush_close_unref(good);
}

static void test_reload(void **state) {
        sd_bus *bus = client();
        _cleanup_free_ char *name = NULL, *bad = NULL, *good = NULL;

        /* A bad file (which would also allow SetConfig) is refused; the old rules stay. */
        assert_true(asprintf(&bad, "%sallow uivm call destination=" MGR " interface=" MGR " member=SetConfig\n"
                                   "allow uivm call destination=" MGR " interface=" MGR " member=* path=/x//y\n",
                             rules_v1) > 0);
        write_file(rules_path, bad);
        assert_int_equal(kill(pid_dom0, SIGHUP), 0);
        assert_int_equal(wait_log("test.rules:9: invalid object path pattern '/x//y'; keeping the previous rules.", 1), 0);
        assert_true(call_set_config(bus, &name) < 0);
        assert_string_equal(name, ACCESS_DENIED);
        check_list(bus);

        /* A good file takes effect at once, on open connections too. */
        assert_true(asprintf(&good, "%sallow uivm call destination=" MGR " interface=" MGR " member=SetConfig\n", rules_v1) > 0);
        write_file(rules_path, good);
        assert_int_equal(kill(pid_dom0, SIGHUP), 0);
        assert_int_equal(wait_log("Reloaded 7 rules", 1), 0);
        assert_int_equal(call_set_config(bus, NULL), 1);
        check_list(bus);

        /* back to v1 */
        write_file(rules_path, rules_v1);
        assert_int_equal(kill(pid_dom0, SIGHUP), 0);
        assert_int_equal(wait_log("Reloaded 6 rules", 1), 0);
        free(name);
        assert_true(call_set_config(bus, &name) < 0);
        assert_string_equal(name, ACCESS_DENIED);
        sd_bus_flush_close_unref(bus);
}

static void test_many_clients(void **state) {
        sd_bus *buses[20];

        /* Interleaved calls on many connections over the one link. */
        for (size_t i = 0; i < 20; i++)
                buses[i] = client();
        for (int round = 0; round < 3; round++)
                for (size_t i = 0; i < 20; i++)
                        check_list(buses[i]);
        for (size_t i = 0; i < 20; i++)
                sd_bus_flush_close_unref(buses[i]);
}

static int on_echo(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const void *p;
        size_t n = 0;

        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read_array(m, 'y', &p, &n) >= 0 &&
            n == 900 * 1024 && ((const uint8_t *) p)[n - 1] == 0x5a)
                (*(int *) userdata)++;
        else
                fprintf(stderr, "Echo failed: %s\n",
                        sd_bus_message_get_error(m) ? sd_bus_message_get_error(m)->message : "bad reply");
        return 0;
}

/* 24 clients each send 900 KiB at once and get it back: 21 MiB each way, more
 * than a link may queue, so this only passes if both ends stop reading from their
 * local sockets while the link is behind (flow control), and the link survives. */
static void test_flow_control(void **state) {
        enum { N = 24 };
        sd_bus *buses[N];
        size_t size = 900 * 1024;
        uint8_t *data = malloc(size);
        int done = 0;

        assert_non_null(data);
        memset(data, 0x5a, size);
        for (size_t i = 0; i < N; i++) {
                sd_bus_message *m = NULL;

                buses[i] = client();
                assert_true(sd_bus_message_new_method_call(buses[i], &m, MGR, MGR_PATH, MGR, "Echo") >= 0);
                assert_true(sd_bus_message_append_array(m, 'y', data, size) >= 0);
                assert_true(sd_bus_call_async(buses[i], NULL, m, on_echo, &done, 30 * 1000 * 1000) >= 0);
                sd_bus_message_unref(m);
        }
        for (int round = 0; round < 3000 && done < N; round++) {
                bool busy = false;

                for (size_t i = 0; i < N; i++)
                        while (sd_bus_process(buses[i], NULL) > 0)
                                busy = true;
                if (!busy)
                        usleep(2000);
        }
        assert_int_equal(done, N);
        assert_int_equal(log_count("output queue full"), 0);
        for (size_t i = 0; i < N; i++) {
                check_list(buses[i]);
                sd_bus_flush_close_unref(buses[i]);
        }
        free(data);
}

/* 300 denied calls: each gets AccessDenied, but the log takes at most 50 per 10 s
 * (a window may turn over once during the test, hence 100). */
static void test_denied_flood(void **state) {
        sd_bus *bus = client();

        for (int i = 0; i < 300; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                assert_true(sd_bus_call_method(bus, MGR, MGR_PATH, MGR, "Flood", &error, NULL, "") < 0);
                assert_string_equal(error.name, ACCESS_DENIED);
        }
        check_list(bus);
        assert_true(log_count("member=Flood") >= 1);
        assert_true(log_count("member=Flood") <= 100);
        sd_bus_flush_close_unref(bus);
}

static void write_all(int fd, const void *p, size_t n) {
        while (n > 0) {
                ssize_t r = write(fd, p, n);

                assert_true(r > 0);
                p = (const uint8_t *) p + r;
                n -= (size_t) r;
        }
}

/* Bytes the local sd-bus client wrote -> DATA frames on our own link. */
static void relay_out(int from, int link_fd, uint32_t id) {
        static uint8_t buf[RPC_FRAME_PAYLOAD_MAX];

        for (;;) {
                uint8_t h[RPC_FRAME_HEADER_SIZE];
                ssize_t n = recv(from, buf, sizeof(buf), MSG_DONTWAIT);

                if (n <= 0)
                        return;
                rpc_frame_header_encode(h, RPC_FRAME_DATA, id, (uint32_t) n);
                write_all(link_fd, h, sizeof(h));
                write_all(link_fd, buf, (size_t) n);
        }
}

/* DATA frames from dom0 -> the local sd-bus client. */
static void relay_in(int link_fd, RpcFrameDecoder *d, int to, uint32_t id) {
        uint8_t buf[8192];
        ssize_t n;

        while ((n = recv(link_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
                for (size_t pos = 0; pos < (size_t) n;) {
                        RpcFrameHeader h;
                        const uint8_t *p;
                        size_t used;
                        int r = rpc_frame_decoder_feed(d, buf + pos, (size_t) n - pos, &used, &h, &p);

                        assert_true(r >= 0);
                        pos += used;
                        if (r == 1 && h.type == RPC_FRAME_DATA && h.conn == id)
                                write_all(to, p, h.length);
                }
}

static int closed_for_not_reading(void) {
        return log_count("connection 1: 257 replies not read, closing the connection.") +
               log_count("connection 1: cannot pass data on, closing: No buffer space available");
}

/* A guest end that sends calls but never reads the replies: dom0 queues at most
 * 256 messages for that connection, then closes it; the link and other
 * connections stay up, and the link's output queue never overflows. */
static void test_unread_replies(void **state) {
        sd_bus *good = client(), *bus = NULL;
        RpcFrameDecoder *d = malloc(sizeof(*d));
        size_t size = 64 * 1024;
        uint8_t *payload = calloc(1, size), h[RPC_FRAME_HEADER_SIZE];
        int sp[2], link_fd, i, replies = 0;

        assert_non_null(d);
        assert_non_null(payload);
        rpc_frame_decoder_init(d);
        link_fd = raw_connect(link_sock);
        rpc_frame_header_encode(h, RPC_FRAME_OPEN, 1, 0);
        write_all(link_fd, h, sizeof(h));
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        assert_true(sd_bus_new(&bus) >= 0);
        assert_true(sd_bus_set_fd(bus, sp[0], sp[0]) >= 0);
        assert_true(sd_bus_set_bus_client(bus, 1) >= 0);
        assert_true(sd_bus_start(bus) >= 0);
        for (i = 0; i < 2000 && sd_bus_is_ready(bus) <= 0; i++) {
                while (sd_bus_process(bus, NULL) > 0)
                        ;
                relay_out(sp[1], link_fd, 1);
                relay_in(link_fd, d, sp[1], 1);
                usleep(1000);
        }
        assert_true(sd_bus_is_ready(bus) > 0);

        /* big replies first (the link backs up past 1 MiB), then small ones that queue in dom0 */
        for (i = 0; i < 40; i++) {
                sd_bus_message *m = NULL;

                assert_true(sd_bus_message_new_method_call(bus, &m, MGR, MGR_PATH, MGR, "Echo") >= 0);
                assert_true(sd_bus_message_append_array(m, 'y', payload, size) >= 0);
                /* with a callback: without one (or a cookie pointer) sd-bus sends it no-reply-expected */
                assert_true(sd_bus_call_async(bus, NULL, m, count_signal, &replies, 0) >= 0);
                sd_bus_message_unref(m);
        }
        /* Then small calls, in batches, never reading: once the Echo replies have
         * filled the link (over 1 MiB queued, throttled) and the server's socket
         * buffer, their replies queue in dom0's sd-bus until the limit of 256.
         * (If dom0 is slower than the sender, as under the sanitizers, the 2 MiB
         * cap on input waiting for that connection's server closes it first.) */
        for (int batch = 0; batch < 60 && closed_for_not_reading() == 0; batch++) {
                for (i = 0; i < 500; i++) /* with a callback, or sd-bus marks them no-reply-expected */
                        assert_true(sd_bus_call_method_async(bus, NULL, MGR, MGR_PATH, MGR, "Unread", count_signal,
                                                             &replies, "") >= 0);
                for (int k = 0; k < 50; k++) {
                        while (sd_bus_process(bus, NULL) > 0)
                                ;
                        relay_out(sp[1], link_fd, 1); /* and never read link_fd */
                        usleep(2000);
                }
        }
        for (i = 0; i < 200 && closed_for_not_reading() == 0; i++)
                usleep(25 * 1000);
        assert_int_equal(closed_for_not_reading(), 1);
        assert_int_equal(log_count("output queue full"), 0);
        assert_int_equal(replies, 0); /* nothing was relayed back */
        check_list(good);

        sd_bus_flush_close_unref(bus);
        close(sp[1]);
        close(link_fd);
        sd_bus_flush_close_unref(good);
        free(payload);
        free(d);
}

/* Waits up to 5 s for a child to exit by itself; returns its exit status (-1: killed or still running). */
static int wait_exit(pid_t *pid) {
        int status = 0;

        for (int i = 0; i < 100; i++) {
                pid_t p = waitpid(*pid, &status, WNOHANG);

                if (p == *pid) {
                        *pid = -1;
                        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                }
                usleep(50 * 1000);
        }
        return -1;
}

/* Last: both ends exit cleanly on SIGTERM (under the sanitizers: no leak, no error). */
static void test_clean_exit(void **state) {
        sd_bus *bus = client();

        check_list(bus);
        /* the dom0 end goes first, with a client connected */
        assert_int_equal(stop(&pid_dom0), 0);
        assert_int_equal(wait_log("Got signal 15, exiting.", 1), 0);
        /* the guest end then loses its link and exits with an error, dropping its clients */
        assert_true(sd_bus_call_method(bus, MGR, MGR_PATH, MGR, "Ping", NULL, NULL, "") < 0);
        assert_int_equal(stop(&pid_guest), 1);
        /* so does the NDVM's end, which also had dom0's connection to its bus */
        assert_int_equal(wait_exit(&pid_ndvm_guest), 1);
        sd_bus_flush_close_unref(bus);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_allowed),
                cmocka_unit_test(test_denied),
                cmocka_unit_test(test_signal),
                cmocka_unit_test(test_via),
                cmocka_unit_test(test_malformed_message),
                cmocka_unit_test(test_malformed_frame),
                cmocka_unit_test(test_many_clients),
                cmocka_unit_test(test_flow_control),
                cmocka_unit_test(test_unread_replies),
                cmocka_unit_test(test_reload),
                cmocka_unit_test(test_denied_flood),
                cmocka_unit_test(test_clean_exit),
        };

        if (argc != 4) {
                fprintf(stderr, "Usage: test-proxy PROXY SERVICE DBUS-DAEMON\n");
                return EXIT_FAILURE;
        }
        arg_proxy = argv[1];
        arg_service = argv[2];
        arg_dbus = argv[3];
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, setup, teardown);
}
